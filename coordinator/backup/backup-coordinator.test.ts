import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { initFederation } from '../../common/identity/index.js';
import { STATE_VERSION_FILE, writeStateVersion } from '../../common/state/state-version.js';
import { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { SqliteJobStore } from '../storage/sqlite-job-store.js';
import { backupCoordinator } from './backup-coordinator.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A coordinator folder whose state holds one running job and whose audit log is `log`. */
async function coordinatorFolder(log: string): Promise<{ root: string; dir: string }> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-backup-check-'));
  roots.push(root);
  const dir = join(root, 'coordinator');
  await initFederation(dir, { federationId: 'backup-test' });
  const store = new SqliteJobStore(join(dir, 'state.sqlite'));
  store.saveJob({
    id: 'job-1',
    specJson: new Uint8Array(),
    submittedBy: 'researcher',
    researcherSealingKey: new Uint8Array(32),
    submission: SignedEnvelope.fromPartial({}),
    state: 'running',
    reason: '',
    accepted: [],
    offeredTo: [],
    dealer: undefined,
    keyBundle: undefined,
  });
  store.close();
  writeFileSync(join(dir, 'audit.jsonl'), log);
  return { root, dir };
}

describe('backupCoordinator', () => {
  it('refuses a state snapshot its audit log does not account for, naming the job, and leaves no backup', async () => {
    const { root, dir } = await coordinatorFolder('');
    const out = join(root, 'backup');
    const error = await backupCoordinator(dir, out).catch((e: unknown) => e);
    expect(HeflError.is(error, 'integrity')).toBe(true);
    expect((error as Error).message).toContain('disagrees with its audit log');
    expect((error as Error).message).toContain('job job-1: the audit log has no job.submitted for it');
    expect(existsSync(out)).toBe(false);
  });

  it("copies the folder's state version record into the backup and lists it", async () => {
    const root = mkdtempSync(join(tmpdir(), 'hefl-backup-version-'));
    roots.push(root);
    const dir = join(root, 'coordinator');
    await initFederation(dir, { federationId: 'backup-test' });
    new SqliteJobStore(join(dir, 'state.sqlite')).close();
    writeFileSync(join(dir, 'audit.jsonl'), '');
    await writeStateVersion(dir);
    const out = join(root, 'backup');

    const manifest = await backupCoordinator(dir, out);

    expect(manifest.files.map((f) => f.path)).toContain(STATE_VERSION_FILE);
    expect(readFileSync(join(out, STATE_VERSION_FILE), 'utf8')).toBe(
      readFileSync(join(dir, STATE_VERSION_FILE), 'utf8'),
    );
  });
});
