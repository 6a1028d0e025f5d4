/**
 * Whether a process with this pid runs on this machine (signal 0 probes without sending);
 * EPERM means it runs under another user. Used to name or take over a lock's holder.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
