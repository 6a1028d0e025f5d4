import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HeflError } from '../../common/errors/index.js';

export const APPROVALS_LOCK_FILE = 'approvals.lock';
const WAIT_MS = 10_000;

/**
 * Runs `update` holding the site folder's approvals lock, so two `hefl site approve` /
 * `decline` commands never lose each other's read-modify-write of `approvals.json`.
 *
 * The lock is SQLite's kernel (`fcntl`) lock on `approvals.lock`, held by a `BEGIN EXCLUSIVE`
 * that writes nothing (as the daemon folder lock): a holder that dies drops it, so there is
 * no stale lock. A second writer waits up to 10 s, then gets `unavailable`. The running site
 * node only reads `approvals.json` (replaced atomically), so it never takes this lock.
 */
export async function withApprovalsLock<T>(dir: string, update: () => Promise<T>): Promise<T> {
  const path = join(dir, APPROVALS_LOCK_FILE);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: WAIT_MS });
  } catch (error) {
    throw new HeflError('invalid_argument', `cannot open ${path} (is --dir a site folder?)`, {
      cause: error,
    });
  }
  try {
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') {
        throw new HeflError(
          'unavailable',
          `${path} is held by another hefl command for over 10 s; try again`,
          {
            cause: error,
          },
        );
      }
      throw new HeflError('internal', `cannot take the approvals lock ${path}`, { cause: error });
    }
    try {
      return await update();
    } finally {
      db.exec('ROLLBACK');
    }
  } finally {
    db.close();
  }
}
