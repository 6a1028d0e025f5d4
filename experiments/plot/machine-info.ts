import { arch, cpus, platform, release, totalmem } from 'node:os';

/** Where and when a result was measured; every results file carries one. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
}

/** Describes this machine and the current time (ISO 8601, UTC). */
export function machineInfo(): MachineInfo {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** One Markdown paragraph naming the command and the machine, for the top of a results file. */
export function provenanceMarkdown(command: string, machine: MachineInfo): string {
  return [
    `Command: \`${command}\``,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}. Date: ${machine.date}.`,
  ].join('\n');
}
