import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeflError } from '../errors/index.js';
import { type KernelLock, tryKernelLock } from '../os/kernel-lock.js';

/** Names the holder (pid, since) while the lock is held; only for messages, never trusted as the lock. */
export const MANIFEST_LOCK_FILE = 'manifest.lock';
/** The lock itself: a kernel lock on this file (`tryKernelLock`); the file stays in the folder. */
export const MANIFEST_KERNEL_LOCK_FILE = 'manifest.lock.sqlite';

/**
 * Runs `change` while holding the coordinator folder's manifest lock. `federation admit`
 * and `revoke` are each a read-modify-write of manifest.json: two at once would silently
 * drop one member's change. The lock is a kernel lock, so a holder that died holds nothing
 * and there is no stale lock to take over: of several processes that start at once exactly
 * one changes the manifest at a time (the old lock file, taken over when its process was
 * gone, let two takers in). Waits up to `waitMs` (default 10 s) for another holder.
 */
export async function withManifestLock<T>(
  dir: string,
  change: () => Promise<T>,
  options: { waitMs?: number } = {},
): Promise<T> {
  await requireFolder(dir);
  const until = Date.now() + (options.waitMs ?? 10_000);
  let lock: KernelLock | undefined;
  for (;;) {
    lock = tryKernelLock(join(dir, MANIFEST_KERNEL_LOCK_FILE), 'manifest lock');
    if (lock !== undefined) break;
    if (Date.now() > until) {
      const holder = await readHolder(join(dir, MANIFEST_LOCK_FILE));
      throw new HeflError(
        'failed_precondition',
        `another hefl command (${holder}) is changing the manifest in ${dir}; try again when it has finished`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const holderPath = join(dir, MANIFEST_LOCK_FILE);
  try {
    const tmp = `${holderPath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }), {
      mode: 0o600,
    });
    await rename(tmp, holderPath);
    return await change();
  } finally {
    await rm(holderPath, { force: true });
    lock.release();
  }
}

async function requireFolder(dir: string): Promise<void> {
  try {
    await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new HeflError('not_found', `no coordinator folder ${dir} (create it with hefl federation init)`, {
      cause: error,
    });
  }
}

/** "pid N, since T" from the holder file, as far as it can be read. */
async function readHolder(path: string): Promise<string> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; since?: unknown };
    return `pid ${String(holder.pid)}, since ${String(holder.since)}`;
  } catch {
    return 'pid unknown, starting up';
  }
}
