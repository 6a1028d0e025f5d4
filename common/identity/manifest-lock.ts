import { open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeflError } from '../errors/index.js';
import { isProcessRunning } from '../os/is-process-running.js';

export const MANIFEST_LOCK_FILE = 'manifest.lock';

/**
 * Runs `change` while holding the coordinator folder's manifest lock. `federation admit`
 * and `revoke` are each a read-modify-write of manifest.json: two at once would silently
 * drop one member's change. The lock is a file created exclusively, naming its process;
 * one left behind by a process that no longer runs on this machine is taken over.
 */
export async function withManifestLock<T>(
  dir: string,
  change: () => Promise<T>,
  options: { waitMs?: number } = {},
): Promise<T> {
  const path = join(dir, MANIFEST_LOCK_FILE);
  const until = Date.now() + (options.waitMs ?? 10_000);
  for (;;) {
    if (await tryCreate(path)) break;
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder === 'stale') {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > until) {
      throw new HeflError(
        'failed_precondition',
        `another hefl command (pid ${holder.pid}, since ${holder.since}) is changing the manifest in ${dir}; ` +
          `try again when it has finished (or delete ${path} if that process is not running)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    return await change();
  } finally {
    await rm(path, { force: true });
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOENT') {
      throw new HeflError(
        'not_found',
        `no coordinator folder ${dirname(path)} (create it with hefl federation init)`,
        {
          cause: error,
        },
      );
    }
    throw new HeflError('invalid_argument', `cannot create the manifest lock ${path}`, { cause: error });
  }
}

/** Who holds the lock; 'stale' if its process is gone (or it was never completed), 'gone' if released meanwhile. */
async function readHolder(path: string): Promise<{ pid: number; since: string } | 'stale' | 'gone'> {
  let text: string;
  let age: number;
  try {
    [text, age] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => Date.now() - s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  let holder: { pid?: unknown; since?: unknown };
  try {
    holder = JSON.parse(text) as typeof holder;
  } catch {
    // Being written right now, or left half-written by a crash.
    return age > 5_000 ? 'stale' : { pid: 0, since: 'just now' };
  }
  if (typeof holder.pid !== 'number' || !Number.isInteger(holder.pid) || holder.pid <= 0) return 'stale';
  return isProcessRunning(holder.pid) ? { pid: holder.pid, since: String(holder.since) } : 'stale';
}
