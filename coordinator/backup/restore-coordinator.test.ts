import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { backupCoordinator } from './backup-coordinator.js';
import { BACKUP_FORMAT, BACKUP_MANIFEST_FILE, BACKUP_VERSION, hashFile } from './backup-manifest.js';
import { restoreCoordinator } from './restore-coordinator.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A backup folder of a few files with its backup.json, as backupCoordinator writes one. */
async function backupOf(files: Record<string, string>): Promise<{ root: string; from: string }> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-restore-'));
  roots.push(root);
  const from = join(root, 'backup');
  const listed = [];
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(from, path, '..'), { recursive: true });
    writeFileSync(join(from, path), text);
    listed.push({ path, ...(await hashFile(join(from, path))) });
  }
  const manifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: '2026-11-30T03:00:00.000Z',
    files: listed,
    jobs: [],
    absentBlobs: [],
    damagedBlobs: [],
    privateKeyFiles: [],
  };
  writeFileSync(join(from, BACKUP_MANIFEST_FILE), JSON.stringify(manifest));
  return { root, from };
}

const BLOB = `blobs/ab/ab${'0'.repeat(62)}`;

describe('restoreCoordinator', () => {
  it('copies every listed file into the new folder', async () => {
    const { root, from } = await backupOf({ 'audit.jsonl': 'entry\n', [BLOB]: 'ciphertext bytes' });
    await restoreCoordinator(from, join(root, 'new'));
    expect(readFileSync(join(root, 'new', BLOB), 'utf8')).toBe('ciphertext bytes');
    expect(readFileSync(join(root, 'new', 'audit.jsonl'), 'utf8')).toBe('entry\n');
  });

  it('refuses a backup written by a newer hefl (its state version), naming both versions, and writes nothing', async () => {
    const { root, from } = await backupOf({
      'audit.jsonl': 'entry\n',
      'hefl-state.json': '{"stateVersion":2}\n',
    });
    const error = await restoreCoordinator(from, join(root, 'new')).catch((e: unknown) => e);
    expect(HeflError.is(error, 'invalid_config')).toBe(true);
    expect((error as Error).message).toContain(
      'written by hefl state version 2; this hefl understands up to 1',
    );
    expect(() => readdirSync(join(root, 'new'))).toThrow();
  });

  it('refuses a backup with one flipped byte in a blob, naming the blob, and writes nothing', async () => {
    const { root, from } = await backupOf({ 'audit.jsonl': 'entry\n', [BLOB]: 'ciphertext bytes' });
    const bytes = readFileSync(join(from, BLOB));
    bytes[3]! ^= 0x01;
    writeFileSync(join(from, BLOB), bytes);
    const error = await restoreCoordinator(from, join(root, 'new')).catch((e: unknown) => e);
    expect(HeflError.is(error, 'integrity')).toBe(true);
    expect((error as Error).message).toContain(`${BLOB} does not match its size and SHA-256`);
    expect(() => readdirSync(join(root, 'new'))).toThrow();
  });

  it('refuses a backup missing a listed file, and a listed path leaving the folder', async () => {
    const { root, from } = await backupOf({ 'audit.jsonl': 'entry\n', [BLOB]: 'x' });
    rmSync(join(from, BLOB));
    await expect(restoreCoordinator(from, join(root, 'a'))).rejects.toThrow(`${BLOB} is missing`);
    const manifest = JSON.parse(readFileSync(join(from, BACKUP_MANIFEST_FILE), 'utf8'));
    manifest.files[0].path = '../outside';
    writeFileSync(join(from, BACKUP_MANIFEST_FILE), JSON.stringify(manifest));
    await expect(restoreCoordinator(from, join(root, 'b'))).rejects.toThrow('"../outside" is not allowed');
  });

  it('refuses a non-empty target folder', async () => {
    const { root, from } = await backupOf({ 'audit.jsonl': 'entry\n' });
    mkdirSync(join(root, 'taken'));
    writeFileSync(join(root, 'taken', 'state.sqlite'), 'x');
    await expect(restoreCoordinator(from, join(root, 'taken'))).rejects.toThrow('exists and is not empty');
  });
});

describe('backupCoordinator', () => {
  it('refuses a folder that is not a coordinator folder and an --out that is not empty', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hefl-backup-unit-'));
    roots.push(root);
    await expect(backupCoordinator(join(root, 'nothing'), join(root, 'out'))).rejects.toThrow(
      'is not a coordinator folder',
    );
    mkdirSync(join(root, 'coord'));
    writeFileSync(join(root, 'coord', 'state.sqlite'), '');
    writeFileSync(join(root, 'coord', 'manifest.json'), '{}');
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'out', 'x'), 'x');
    await expect(backupCoordinator(join(root, 'coord'), join(root, 'out'))).rejects.toThrow(
      'exists and is not empty',
    );
    expect(readdirSync(join(root, 'out'))).toEqual(['x']);
  });
});
