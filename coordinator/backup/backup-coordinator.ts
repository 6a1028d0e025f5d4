import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { HeflError } from '../../common/errors/index.js';
import { COORDINATOR_FILES } from '../../common/identity/index.js';
import { readKeyPairFile } from '../../common/identity/key-files.js';
import { STATE_VERSION_FILE } from '../../common/state/state-version.js';
import { ManifestMemberDirectory } from '../members/manifest-member-directory.js';
import { readAuditedJobs } from '../storage/audited-jobs.js';
import { checkStoredJob } from '../storage/check-stored-job.js';
import { SqliteJobStore } from '../storage/sqlite-job-store.js';
import {
  BACKUP_FORMAT,
  BACKUP_MANIFEST_FILE,
  BACKUP_VERSION,
  type BackedUpFile,
  type BackupManifest,
  hashFile,
} from './backup-manifest.js';

/** Files of a coordinator folder copied as they are, besides the state, the audit log and the blobs. */
const IDENTITY_FILES = [
  ...Object.values(COORDINATOR_FILES),
  'audited-members.json',
  'hefl.yaml',
  // The folder's state version: a restore by an older hefl refuses what it would misread.
  STATE_VERSION_FILE,
];
const PRIVATE_KEY_FILES = [COORDINATOR_FILES.signingKey, COORDINATOR_FILES.caKey, COORDINATOR_FILES.tlsKey];
const STATE = 'state.sqlite';
const AUDIT = 'audit.jsonl';

/**
 * A consistent copy of a coordinator folder, taken while its coordinator may be running:
 * 1. the state through SQLite's online backup (one transaction-consistent snapshot);
 * 2. then the audit log up to its last complete line. The log is written before the state
 *    acts (see checkStoredJob), so a log copied after the snapshot is never behind it; the
 *    copy is held against the snapshot with the coordinator's own start check, and a
 *    disagreement fails the backup naming the job and what disagrees;
 * 3. the blobs the snapshot's state names, each checked against its digest as it is copied
 *    (one the folder no longer holds, or holds damaged, is listed, not copied);
 * 4. the manifest and the identity files, private keys included (listed in backup.json).
 * Every file is written 0600 in 0700 folders; `backup.json` lists each with size and SHA-256.
 */
export async function backupCoordinator(
  dir: string,
  out: string,
  now: () => Date = () => new Date(),
): Promise<BackupManifest> {
  if (!existsSync(join(dir, STATE)) || !existsSync(join(dir, COORDINATOR_FILES.manifest)))
    throw new HeflError('invalid_argument', `${dir} is not a coordinator folder (no ${STATE} or manifest)`);
  if (existsSync(out) && (await readdir(out)).length > 0)
    throw new HeflError('already_exists', `${out} exists and is not empty; back up into a new folder`);
  await mkdir(out, { recursive: true, mode: 0o700 });
  await chmod(out, 0o700);
  try {
    return await takeBackup(dir, out, now);
  } catch (error) {
    await rm(out, { recursive: true, force: true });
    throw error;
  }
}

async function takeBackup(dir: string, out: string, now: () => Date): Promise<BackupManifest> {
  const files: BackedUpFile[] = [];
  const add = async (path: string) => {
    await chmod(join(out, path), 0o600);
    files.push({ path, ...(await hashFile(join(out, path))) });
  };

  // 1. The state: SQLite's online backup, from a connection that only reads.
  const createdAt = now().toISOString();
  const source = new Database(join(dir, STATE), { fileMustExist: true });
  try {
    await source.backup(join(out, STATE));
  } finally {
    source.close();
  }
  // 2. The audit log, up to its last complete line.
  const log = await readFile(join(dir, AUDIT)).catch(() => Buffer.alloc(0));
  const end = log.lastIndexOf(0x0a) + 1;
  await writeFile(join(out, AUDIT), log.subarray(0, end), { mode: 0o600 });
  await add(AUDIT);
  // 4 (first, the check needs them). Identity and manifest.
  for (const name of IDENTITY_FILES) {
    if (!existsSync(join(dir, name))) continue;
    await copyFile(join(dir, name), join(out, name));
    await add(name);
  }

  // The snapshot held against its log, as `coordinator start` would.
  const store = new SqliteJobStore(join(out, STATE));
  let graphs: ReturnType<SqliteJobStore['loadAll']>;
  try {
    graphs = store.loadAll();
  } finally {
    store.close();
  }
  await rm(join(out, `${STATE}-wal`), { force: true });
  await rm(join(out, `${STATE}-shm`), { force: true });
  await add(STATE);
  const audited = await readAuditedJobs(join(out, AUDIT));
  const coordinatorKey = (await readKeyPairFile(join(out, COORDINATOR_FILES.signingKey), 'ed25519'))
    .publicKey;
  const members = new ManifestMemberDirectory(
    join(out, COORDINATOR_FILES.manifest),
    coordinatorKey,
    () => {},
  );
  try {
    const problems = graphs.flatMap((graph) =>
      checkStoredJob(graph, audited.get(graph.job.id), {
        coordinator: coordinatorKey,
        memberKey: (id) => members.byId(id)?.signingPublicKey,
      }).problems.map((p) => `job ${graph.job.id}: ${p}`),
    );
    if (problems.length > 0)
      throw new HeflError(
        'integrity',
        `the state snapshot of ${dir} disagrees with its audit log, backup not taken: ${problems.join('; ')}`,
      );
  } finally {
    members.close();
  }

  // 3. The blobs the snapshot names.
  const digests = new Set<string>();
  for (const g of graphs) {
    for (const u of g.uploads) digests.add(u.blobDigest);
    for (const r of g.rounds) if (r.aggregateDigest) digests.add(r.aggregateDigest);
  }
  const absentBlobs: string[] = [];
  const damagedBlobs: string[] = [];
  for (const digest of [...digests].sort()) {
    const path = `blobs/${digest.slice(0, 2)}/${digest}`;
    const copied = await copyBlob(join(dir, path), join(out, path), digest);
    if (copied === 'ok') await add(path);
    else (copied === 'absent' ? absentBlobs : damagedBlobs).push(digest);
  }

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt,
    files,
    jobs: graphs.map((g) => ({ id: g.job.id, state: g.job.state })),
    absentBlobs,
    damagedBlobs,
    privateKeyFiles: PRIVATE_KEY_FILES.filter((f) => files.some((c) => c.path === f)),
  };
  await writeFile(join(out, BACKUP_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** Copies one blob, hashing as it goes; a damaged copy is removed and reported, never kept. */
async function copyBlob(from: string, to: string, digest: string): Promise<'ok' | 'absent' | 'damaged'> {
  try {
    await stat(from);
  } catch {
    return 'absent';
  }
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  const hash = createHash('sha256');
  const target = await open(to, 'wx', 0o600);
  try {
    for await (const chunk of createReadStream(from)) {
      hash.update(chunk as Buffer);
      await target.write(chunk as Buffer);
    }
    await target.sync();
  } catch {
    await target.close();
    await rm(to, { force: true });
    return 'absent'; // deleted by retention while being copied
  } finally {
    await target.close().catch(() => {});
  }
  if (hash.digest('hex') === digest) return 'ok';
  await rm(to, { force: true });
  return 'damaged';
}
