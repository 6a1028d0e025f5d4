import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { HeflError } from '../../common/errors/index.js';

/** The file in a backup folder that lists every other file with its size and SHA-256. */
export const BACKUP_MANIFEST_FILE = 'backup.json';
export const BACKUP_FORMAT = 'hefl-coordinator-backup';
export const BACKUP_VERSION = 1;

/** One copied file, by its path relative to the backup (and restored) folder. */
export interface BackedUpFile {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the bytes, hex. */
  readonly sha256: string;
}

/**
 * `backup.json`: what a backup holds. `restore` refuses any file whose size or digest differs
 * from this list. Blobs the snapshot's state names but the folder no longer had (deleted by
 * retention, or damaged) are listed as such: a restored coordinator treats them as the
 * original folder would have (see the README, "Backup and restore").
 */
export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: typeof BACKUP_VERSION;
  /** ISO 8601, when the state snapshot was taken. */
  readonly createdAt: string;
  readonly files: readonly BackedUpFile[];
  readonly jobs: readonly { id: string; state: string }[];
  readonly absentBlobs: readonly string[];
  readonly damagedBlobs: readonly string[];
  /** Private key files among `files`: the backup must be protected like the folder itself. */
  readonly privateKeyFiles: readonly string[];
}

/** SHA-256 (hex) and size of a file, read as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

const SAFE_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Parses `backup.json`, naming what is wrong (a relative path escaping the folder is refused). */
export function parseBackupManifest(text: string, where: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HeflError('invalid_argument', `${where} is not JSON`, { cause: error });
  }
  const m = value as Partial<BackupManifest>;
  if (m?.format !== BACKUP_FORMAT)
    throw new HeflError('invalid_argument', `${where} is not a hefl coordinator backup`);
  if (m.version !== BACKUP_VERSION)
    throw new HeflError(
      'failed_precondition',
      `${where} has backup version ${String(m.version)}; this hefl reads ${BACKUP_VERSION}`,
    );
  if (!Array.isArray(m.files)) throw new HeflError('invalid_argument', `${where}: files is not a list`);
  for (const f of m.files) {
    if (typeof f?.path !== 'string' || !SAFE_PATH.test(f.path) || f.path === BACKUP_MANIFEST_FILE)
      throw new HeflError(
        'invalid_argument',
        `${where}: file path ${JSON.stringify(f?.path)} is not allowed`,
      );
    if (typeof f.size !== 'number' || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256))
      throw new HeflError('invalid_argument', `${where}: ${f.path} has no size or sha256`);
  }
  return m as BackupManifest;
}
