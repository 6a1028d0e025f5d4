import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HeflError } from '../../common/errors/index.js';
import { ensureStateVersion, STATE_VERSION_FILE } from '../../common/state/state-version.js';
import {
  BACKUP_MANIFEST_FILE,
  type BackupManifest,
  hashFile,
  parseBackupManifest,
} from './backup-manifest.js';

/**
 * Writes a new coordinator folder from a backup made by `backupCoordinator`. Every file is
 * checked against `backup.json` first (size and SHA-256); a missing or damaged one refuses
 * the whole restore, naming the file, and nothing is written. Files are written 0600 in
 * 0700 folders (the backup holds the coordinator's private keys). `hefl coordinator start`
 * on the new folder then serves the jobs as after a restart.
 */
export async function restoreCoordinator(from: string, dir: string): Promise<BackupManifest> {
  const manifestPath = join(from, BACKUP_MANIFEST_FILE);
  const text = await readFile(manifestPath, 'utf8').catch((error: unknown) => {
    throw new HeflError(
      'invalid_argument',
      `${from} is not a coordinator backup (no ${BACKUP_MANIFEST_FILE})`,
      {
        cause: error,
      },
    );
  });
  const manifest = parseBackupManifest(text, manifestPath);
  for (const file of manifest.files) {
    const actual = await hashFile(join(from, file.path)).catch(() => undefined);
    if (!actual) throw new HeflError('integrity', `backup ${from} is damaged: ${file.path} is missing`);
    if (actual.size !== file.size || actual.sha256 !== file.sha256)
      throw new HeflError(
        'integrity',
        `backup ${from} is damaged: ${file.path} does not match its size and SHA-256 in ${BACKUP_MANIFEST_FILE}`,
      );
  }
  // A backup taken by a newer hefl: refused before anything is written, as `coordinator start` would.
  if (manifest.files.some((f) => f.path === STATE_VERSION_FILE)) await ensureStateVersion(from);
  if (existsSync(dir) && (await readdir(dir)).length > 0)
    throw new HeflError('already_exists', `${dir} exists and is not empty; restore into a new folder`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    for (const file of manifest.files) {
      await mkdir(dirname(join(dir, file.path)), { recursive: true, mode: 0o700 });
      await copyFile(join(from, file.path), join(dir, file.path));
      const copied = await hashFile(join(dir, file.path));
      if (copied.sha256 !== file.sha256)
        throw new HeflError('integrity', `${file.path} changed while it was restored; restore not done`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return manifest;
}
