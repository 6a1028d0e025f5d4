import { readFileSync } from 'node:fs';

/**
 * Peak resident memory (the kernel's high-water mark, `VmHWM`) of a running process, in
 * bytes, or null where it cannot be read (not Linux, or the process is gone). Read it
 * before the process is stopped.
 */
export function peakRss(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}
