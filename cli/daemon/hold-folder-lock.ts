import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeflError } from '../../common/errors/index.js';
import { isProcessRunning } from '../../common/os/is-process-running.js';
import { tryKernelLock } from '../../common/os/kernel-lock.js';

export const DAEMON_LOCK_FILE = 'daemon.lock';
export const DAEMON_PID_FILE = 'daemon.pid';

export interface FolderLock {
  /** Releases the lock (also released by the kernel if the process dies). */
  release(): void;
}

/**
 * Takes the exclusive daemon lock on `dir` for the life of this process, or refuses with
 * "already running as pid N" (`unavailable`, exit 3).
 *
 * The lock is a kernel advisory lock on `daemon.lock` (`tryKernelLock`), not a file whose
 * existence is the lock.
 * So there is no stale lock to take over and no takeover race: when the holder dies — even by
 * SIGKILL or power loss of the process — the kernel drops its lock, and of any number of processes
 * starting at once exactly one gets it. `daemon.pid` only names the holder for the message; it is
 * written (atomically, by rename) after the lock is held, and a leftover one is never trusted alone.
 */
export function holdFolderLock(dir: string, options: { waitForPidMs?: number } = {}): FolderLock {
  const lockPath = join(dir, DAEMON_LOCK_FILE);
  const lock = tryKernelLock(lockPath, 'daemon lock', ' (is --dir a hefl folder?)');
  if (lock === undefined) {
    const pid = holderPid(dir, options.waitForPidMs ?? 2_000);
    throw new HeflError(
      'unavailable',
      `${dir} is in use: hefl is already running as pid ${pid ?? '(unknown, starting up)'} on this folder; ` +
        'stop it first (only one daemon may serve a folder)',
    );
  }
  const pidPath = join(dir, DAEMON_PID_FILE);
  const tmp = `${pidPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
  renameSync(tmp, pidPath);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      if (readPid(pidPath) === process.pid) rmSync(pidPath, { force: true });
      lock.release();
    },
  };
}

/** The holder's pid from daemon.pid, once it names a live process (the holder writes it just after locking). */
function holderPid(dir: string, waitMs: number): number | undefined {
  const until = Date.now() + waitMs;
  for (;;) {
    const pid = readPid(join(dir, DAEMON_PID_FILE));
    if (pid !== undefined && isProcessRunning(pid)) return pid;
    if (Date.now() >= until) return undefined;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
