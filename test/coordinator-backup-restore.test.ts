import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readJobOutcome } from '../cli/researcher/job-outcome.js';
import { openModelRelease } from '../cli/researcher/open-model-release.js';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { HeflProcess, type LogLine } from '../cli/simulate/hefl-process.js';
import { provisionFederation } from '../cli/simulate/provision-federation.js';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { bytesEqual, fromHex } from '../common/crypto/index.js';
import { channelCredentials, loadMemberIdentity } from '../common/identity/index.js';
import { backupCoordinator } from '../coordinator/backup/backup-coordinator.js';
import { FAULTY_DAEMON, faultyDaemonArgs } from './support/daemon-faults.js';
import { syntheticJob } from './support/synthetic-job.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const SITES = ['site-a', 'site-b', 'site-c'];
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** `hefl ARGS` as a process: exit code and what it printed. */
async function hefl(...args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [CLI, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

/**
 * Runs one 2-round HE job with three site daemons. With `backup`, the coordinator is backed
 * up while it holds round 2 in 'aggregating', killed, its folder deleted, the backup restored
 * into a new folder through `hefl coordinator restore` (after a damaged copy was refused) and
 * served on the same port. Returns the released model's hash, checked against every site's report.
 */
async function runJob(backup: boolean): Promise<{ modelHash: string; restoredLog: LogLine[] }> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-backup-'));
  const processes: HeflProcess[] = [];
  let researcher: ResearcherClient | undefined;
  try {
    const fed = await provisionFederation(root, SITES);
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const connected = new Set<string>();
    const startCoordinator = (p: HeflProcess) => {
      processes.push(p);
      p.onLine((l: LogLine) => l.event === 'site.connected' && connected.add(String(l.site)));
      return p;
    };
    // Each round is held 3 s in 'aggregating', so the backup is taken while nothing moves
    // on and the coordinator is killed before the round it holds is closed.
    const args = ['coordinator', 'start', '--dir', fed.coordinatorDir, '--port', String(port)];
    const original = startCoordinator(
      backup
        ? new HeflProcess(
            'coordinator',
            faultyDaemonArgs({ coordinator: { aggregationDelayMs: 3000 } }, args),
            FAULTY_DAEMON,
          )
        : new HeflProcess('coordinator', args, CLI),
    );
    await original.waitFor((l) => l.event === 'coordinator.listening', 60_000, 'listening');
    generateSyntheticHospitals({ sites: 3, seed: 11 }).forEach((site, i) => {
      const csv = join(root, `${SITES[i]}.csv`);
      writeFileSync(csv, site.csv);
      const dir = fed.siteDirs.find((d) => d.id === SITES[i])!.dir;
      processes.push(
        new HeflProcess(
          SITES[i]!,
          ['site', 'start', '--dir', dir, '--data', csv, '--coordinator', address],
          CLI,
        ),
      );
    });
    await original.waitFor(() => connected.size === 3, 120_000, 'three sites connected');
    const identity = await loadMemberIdentity(fed.researcherDir);
    researcher = new ResearcherClient(address, channelCredentials(identity.tls), {
      signingSecretKey: identity.signingKey.secretKey,
      sealingPublicKey: identity.sealingKey.publicKey,
      sealingSecretKey: identity.sealingKey.secretKey,
    });
    const spec = syntheticJob({
      rounds: 2,
      minSites: 3,
      recruitSeconds: 20,
      roundDeadlineSeconds: 60,
      seed: 5,
    });
    const { jobId } = await researcher.submit(spec);

    const restoredLog: LogLine[] = [];
    if (backup) {
      // Backup while round 2 is being aggregated, then the coordinator and its folder are lost.
      await original.waitFor(
        (l) => l.event === 'round.aggregating' && l.round === 2,
        90_000,
        'round 2 aggregating',
      );
      const backupDir = join(root, 'backup');
      const manifest = await backupCoordinator(fed.coordinatorDir, backupDir);
      await original.kill();
      rmSync(fed.coordinatorDir, { recursive: true, force: true });
      expect(manifest.jobs).toEqual([{ id: jobId, state: 'running' }]);
      expect(manifest.files.filter((f) => f.path.startsWith('blobs/')).length).toBeGreaterThan(0);
      expect(manifest.privateKeyFiles).toContain('ca-key.pem');
      expect(statSync(backupDir).mode & 0o777).toBe(0o700);
      for (const f of manifest.files) expect(statSync(join(backupDir, f.path)).mode & 0o077).toBe(0);

      // A copy with one flipped byte in a blob is refused, naming the blob.
      const damaged = join(root, 'damaged');
      cpSync(backupDir, damaged, { recursive: true });
      const blob = manifest.files.find((f) => f.path.startsWith('blobs/'))!;
      const bytes = readFileSync(join(damaged, blob.path));
      bytes[bytes.length >> 1]! ^= 0x01;
      writeFileSync(join(damaged, blob.path), bytes);
      const refused = await hefl('coordinator', 'restore', '--from', damaged, '--dir', join(root, 'never'));
      expect(refused.code).toBe(1);
      expect(refused.out).toContain(`${blob.path} does not match its size and SHA-256`);
      expect(() => readdirSync(join(root, 'never'))).toThrow();

      // Restore into a new folder and serve it on the same port: the sites reconnect.
      const newDir = join(root, 'restored-coordinator');
      const restored = await hefl('coordinator', 'restore', '--from', backupDir, '--dir', newDir);
      expect(restored.out).toContain(`into ${newDir}`);
      expect(restored.code).toBe(0);
      connected.clear();
      startCoordinator(
        new HeflProcess(
          'coordinator',
          ['coordinator', 'start', '--dir', newDir, '--port', String(port)],
          CLI,
        ),
      ).onLine((l: LogLine) => restoredLog.push(l));
    }

    const sites = identity.manifest.members
      .filter((m) => m.role === 'site')
      .map((m) => ({ id: m.id, key: fromHex(m.signingPublicKey) }));
    const isSite = (pk: Uint8Array) => sites.some((s) => bytesEqual(s.key, pk));
    const until = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > until) throw new Error(`job ${jobId} did not complete`);
      const status = await researcher.status(jobId).catch(() => undefined);
      expect(['failed', 'cancelled']).not.toContain(status?.state);
      if (status?.state === 'completed') {
        const reply = await researcher.fetchModel(jobId).catch(() => undefined);
        if (reply && reply.pending.length === 0) {
          const model = openModelRelease(
            reply,
            identity.sealingKey.secretKey,
            (pk) => sites.find((s) => bytesEqual(s.key, pk))?.id,
          );
          // readJobOutcome refuses sites that reported different models for a round.
          const outcome = readJobOutcome(status, identity.sealingKey.secretKey, isSite);
          expect(model.card.modelHash).toMatch(/^[0-9a-f]{64}$/);
          expect(outcome.at(-1)?.modelHash).toBe(model.card.modelHash);
          return { modelHash: model.card.modelHash, restoredLog };
        }
      }
      await sleep(300);
    }
  } finally {
    researcher?.close();
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(root, { recursive: true, force: true });
  }
}

describe('hefl coordinator backup and restore', () => {
  it('a backup taken while a job runs, restored into a new folder, finishes the job with the same model as an undisturbed run', async () => {
    const reference = await runJob(false);
    const restored = await runJob(true);
    // The restored folder's coordinator resumed the job (not refused, not started anew).
    expect(restored.restoredLog.filter((l) => l.event === 'jobs.restored').map((l) => l.unfinished)).toEqual([
      1,
    ]);
    expect(restored.restoredLog.filter((l) => l.event === 'job.refused')).toEqual([]);
    expect(restored.modelHash).toBe(reference.modelHash);
  }, 240_000);
});
