import Database from 'better-sqlite3';
import { HeflError } from '../errors/index.js';

/** A held kernel lock; `release` is idempotent. The kernel also drops it when the process dies. */
export interface KernelLock {
  release(): void;
}

/**
 * Takes an exclusive kernel advisory lock on the file `path` if no one holds it now, else
 * returns undefined at once. The lock is SQLite's POSIX `fcntl` lock, held by an open
 * `BEGIN EXCLUSIVE` transaction that writes nothing; SQLite also excludes other connections
 * of the same process. Unlike a file whose existence is the lock, there is never a stale lock
 * to take over (a dead holder's lock is gone with it), so of any number of processes trying at
 * once exactly one gets it. The file stays: deleting it would let two processes lock two
 * different files under one name.
 *
 * `name` words the errors: a path that cannot be opened is `invalid_argument`
 * ("cannot open the NAME PATH HINT"), any other failure `internal`.
 */
export function tryKernelLock(path: string, name: string, hint = ''): KernelLock | undefined {
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 0 });
  } catch (error) {
    throw new HeflError('invalid_argument', `cannot open the ${name} ${path}${hint}`, { cause: error });
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw new HeflError('internal', `cannot take the ${name} ${path}`, { cause: error });
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
