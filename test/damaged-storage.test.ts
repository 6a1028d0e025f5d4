import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { dealKeys } from '../client-node/key-ceremony.js';
import { sha256, toHex } from '../common/crypto/index.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import { channelCredentials } from '../common/identity/index.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import { startCoordinator } from '../coordinator/start-coordinator.js';
import { readAuditedJobs } from '../coordinator/storage/audited-jobs.js';
import { checkStoredJob } from '../coordinator/storage/check-stored-job.js';
import { SqliteJobStore } from '../coordinator/storage/sqlite-job-store.js';
import type { RunningCoordinator } from '../coordinator/transport/coordinator-server.js';
import { ModelRelease } from '../proto/gen/hefl/v1/messages.js';
import { encryptedUpdate, flipBit, refusal, ScriptedSite } from './support/scripted-site.js';
import { syntheticJob } from './support/synthetic-job.js';
import { startTlsFederation, type TlsFederation } from './support/tls-federation.js';

/*
 * Issue 12, items 11 and 12 and "a bit flipped anywhere in any blob is detected and named":
 * the production coordinator (mutual TLS, SQLite state, audit log, blob store) is stopped,
 * its folder damaged the way a disk or an operator would, and started again on a copy.
 */

const JOB = syntheticJob({
  name: 'damaged',
  // One numeric feature: the shape encryptedUpdate sends (the coordinator refuses others).
  data: { label: 'event', features: ['age'] },
  rounds: 1,
  minSites: 2,
  maxSites: 2,
  recruitSeconds: 60,
  roundDeadlineSeconds: 300,
});
const QUANTIZER = { clipRange: JOB.spec.he.clipRange, maxSites: JOB.spec.maxSites };

interface Coordinator {
  readonly dir: string;
  readonly running: RunningCoordinator;
  readonly address: string;
  readonly logs: { event: string; fields: Record<string, unknown> }[];
}

describe('damaged coordinator storage is detected, named and audited, for that job only', () => {
  let fed: TlsFederation;
  const started: Coordinator[] = [];
  const sites: ScriptedSite[] = [];
  const ciphers: SiteVectorCipher[] = [];
  const scratch: string[] = [];

  beforeAll(async () => {
    fed = await startTlsFederation(['site-a', 'site-b']);
  }, 60_000);

  afterAll(async () => {
    for (const s of sites) s.close();
    for (const c of ciphers) c.delete();
    for (const c of started) await c.running.stop();
    await fed?.stop();
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of the federation's coordinator folder (taken while it is stopped or idle), started. */
  async function startCopy(prepare?: (dir: string) => void): Promise<Coordinator> {
    const dir = mkdtempSync(join(tmpdir(), 'hefl-damaged-'));
    scratch.push(dir);
    cpSync(fed.provisioned.coordinatorDir, dir, { recursive: true });
    prepare?.(dir);
    const logs: Coordinator['logs'] = [];
    const running = await startCoordinator({
      dir,
      host: '127.0.0.1',
      port: 0,
      log: (event, fields) => logs.push({ event, fields }),
    });
    const c = { dir, running, address: `127.0.0.1:${running.port}`, logs };
    started.push(c);
    return c;
  }

  async function connectSites(address: string): Promise<[ScriptedSite, ScriptedSite]> {
    const pair = [
      new ScriptedSite(await fed.member('site-a'), address),
      new ScriptedSite(await fed.member('site-b'), address),
    ] as [ScriptedSite, ScriptedSite];
    sites.push(...pair);
    await Promise.all(pair.map((s) => s.connect()));
    return pair;
  }

  /** Submits the job, has both sites accept, deals the key (site-a); round 0 is then open. */
  async function runningJob(
    c: Coordinator,
    a: ScriptedSite,
    b: ScriptedSite,
  ): Promise<{ jobId: string; cipher: SiteVectorCipher }> {
    const researcher = await fed.member('researcher');
    const client = new ResearcherClient(c.address, channelCredentials(researcher.tls), {
      signingSecretKey: researcher.signingKey.secretKey,
      sealingPublicKey: researcher.sealingKey.publicKey,
      sealingSecretKey: researcher.sealingKey.secretKey,
    });
    const { jobId } = await client.submit(JOB);
    client.close();
    await a.waitForTask('jobOffer', (o) => o.jobId === jobId);
    for (const s of [a, b]) await s.client.decide(s.decision(jobId, JOB.hash));
    const ceremony = await a.waitForTask('keyCeremony', (k) => k.jobId === jobId);
    const { cipher, bundle } = await dealKeys(
      a.keys,
      { jobId, profileId: JOB.spec.he.profile, quantizer: QUANTIZER },
      ceremony.sites.map((s) => ({ siteId: s.siteId, sealingPublicKey: new Uint8Array(s.sealingPublicKey) })),
    );
    ciphers.push(cipher);
    await a.client.postKeyBundle(bundle);
    await a.waitForTask('roundOpen', (r) => r.jobId === jobId && r.round === 0);
    return { jobId, cipher };
  }

  const blobPath = (dir: string, digest: string) => join(dir, 'blobs', digest.slice(0, 2), digest);
  const auditEntries = (dir: string) =>
    readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; details: Record<string, unknown> });

  // The original coordinator runs one job to "round 0 open, site-a's update accepted" and a
  // second job to "round 0 closed" (its aggregate kept); every test starts a damaged copy.
  let openJob: string;
  let closedJob: string;
  let updateBlob: string;
  let aggregateBlob: string;

  it('sets up: one job with an accepted update in its open round, one with a closed round', async () => {
    const c: Coordinator = {
      dir: fed.provisioned.coordinatorDir,
      running: fed.coordinator,
      address: fed.address,
      logs: [],
    };
    const [a, b] = await connectSites(c.address);
    const first = await runningJob(c, a, b);
    openJob = first.jobId;
    const update = encryptedUpdate(a.keys, first.cipher, { jobId: openJob, round: 0 });
    updateBlob = toHex(sha256(...update.parts));
    await a.client.upload(update.header, update.parts);
    const second = await runningJob(c, a, b);
    closedJob = second.jobId;
    for (const s of [a, b]) {
      const u = encryptedUpdate(s.keys, second.cipher, { jobId: closedJob, round: 0 });
      await s.client.upload(u.header, u.parts);
    }
    await b.waitForTask('roundClosed', (r) => r.jobId === closedJob);
    aggregateBlob = fed.coordinator.jobs.get(closedJob).rounds[0]!.aggregateDigest!;
    expect(readFileSync(blobPath(c.dir, updateBlob)).length).toBeGreaterThan(0);
  }, 90_000);

  for (const damage of ['deleted', 'bit-flipped'] as const) {
    it(`starts with an accepted update's blob ${damage}: the update is audited as lost, naming the blob, and the job goes on`, async () => {
      const c = await startCopy((dir) => {
        const path = blobPath(dir, updateBlob);
        if (damage === 'deleted') unlinkSync(path);
        else writeFileSync(path, flipBit(readFileSync(path), 1000));
      });

      const job = c.running.jobs.get(openJob);
      const lost = auditEntries(c.dir).filter((e) => e.action === 'update.lost');
      expect(job.state).toBe('running');
      expect(job.currentRound?.uploads.has('site-a')).toBe(false);
      expect(job.currentRound?.absent.find((x) => x.siteId === 'site-a')?.reason).toContain(
        updateBlob.slice(0, 16),
      );
      expect(lost).toHaveLength(1);
      expect(lost[0]!.details).toMatchObject({ jobId: openJob, round: 0, blobDigest: updateBlob });
      expect(String(lost[0]!.details.reason)).toContain(damage === 'deleted' ? 'is missing' : 'corrupt');
      expect(c.running.jobs.get(closedJob).state).toBe('running');
    }, 60_000);
  }

  for (const damage of ['deleted', 'bit-flipped'] as const) {
    it(`an aggregate blob ${damage}: the download is refused naming the blob, the job fails with that reason, audited`, async () => {
      const c = await startCopy((dir) => {
        const path = blobPath(dir, aggregateBlob);
        if (damage === 'deleted') unlinkSync(path);
        else writeFileSync(path, flipBit(readFileSync(path), 77));
      });
      const [, b] = await connectSites(c.address);

      const error = await refusal(b.client.downloadAggregate(closedJob, 0, 'site-b'));

      expect(error.code).toBe(status.DATA_LOSS);
      expect(error.details).toContain(aggregateBlob.slice(0, 16));
      const job = c.running.jobs.get(closedJob);
      expect(job.state).toBe('failed');
      expect(job.reason).toContain(`round 0's aggregate blob ${aggregateBlob.slice(0, 16)}`);
      const damaged = auditEntries(c.dir).filter((e) => e.action === 'blob.damaged');
      expect(damaged.map((e) => e.details)).toEqual([
        expect.objectContaining({ jobId: closedJob, kind: 'aggregate', blobDigest: aggregateBlob }),
      ]);
      expect(c.running.jobs.get(openJob).state).toBe('running');
    }, 60_000);
  }

  const edits: { what: string; sql: (jobId: string) => string; named: string }[] = [
    {
      what: 'a job state',
      sql: (id) => `UPDATE jobs SET state = 'completed' WHERE id = '${id}'`,
      named: 'state completed is not in the audit log',
    },
    {
      what: 'a round’s participants',
      sql: (id) => `UPDATE rounds SET participants = '["site-a","site-b","site-x"]' WHERE job_id = '${id}'`,
      named: "round 0's participants differ",
    },
    {
      what: 'an accepted site',
      sql: (id) => `UPDATE decisions SET accept = 0 WHERE job_id = '${id}' AND site_id = 'site-b'`,
      named: "site-b's decline is not in the audit log",
    },
    {
      what: 'a report',
      sql: (id) =>
        `INSERT INTO reports SELECT job_id, round, 'site-b', '${'ab'.repeat(32)}', receipt FROM uploads WHERE job_id = '${id}'`,
      named: "site-b's report of round 0 is not in the audit log",
    },
  ];
  for (const edit of edits) {
    it(`refuses to serve a job whose state.sqlite was edited (${edit.what}), naming it; the other job is served`, async () => {
      const c = await startCopy((dir) => {
        const db = new Database(join(dir, 'state.sqlite'));
        db.exec(edit.sql(openJob));
        db.close();
      });

      const refused = (() => {
        try {
          c.running.jobs.get(openJob);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(refused).toContain(`job ${openJob} is not served`);
      expect(refused).toContain(edit.named);
      expect(
        auditEntries(c.dir)
          .filter((e) => e.action === 'job.refused')
          .map((e) => e.details.jobId),
      ).toEqual([openJob]);
      expect(c.running.jobs.get(closedJob).state).toBe('running');
      const [a] = await connectSites(c.address);
      const error = await refusal(a.client.fetchReceipt(openJob, 0, 'site-a'));
      expect(error.details).toContain(`job ${openJob} is not served`);
    }, 60_000);
  }

  const flips: { what: string; table: string; column: string; job: () => string; named: string }[] = [
    {
      what: 'the dealer’s key bundle',
      table: 'jobs',
      column: 'key_bundle',
      job: () => openJob,
      named: 'the dealer’s key bundle does not verify',
    },
    {
      what: 'the researcher’s submission',
      table: 'jobs',
      column: 'submission',
      job: () => openJob,
      named: 'the researcher’s signed submission does not verify',
    },
    {
      what: 'a receipt',
      table: 'uploads',
      column: 'receipt',
      job: () => openJob,
      named: "the receipt for site-a's update in round 0 does not verify",
    },
    {
      what: 'a round summary',
      table: 'rounds',
      column: 'summary',
      job: () => closedJob,
      named: "round 0's signed summary does not verify",
    },
  ];
  for (const flip of flips) {
    it(`detects a bit flipped in ${flip.what} in state.sqlite and names it`, async () => {
      const c = await startCopy((dir) => {
        const db = new Database(join(dir, 'state.sqlite'));
        const idColumn = flip.table === 'jobs' ? 'id' : 'job_id';
        const row = db
          .prepare(`SELECT ${flip.column} AS v FROM ${flip.table} WHERE ${idColumn} = ?`)
          .get(flip.job()) as { v: Buffer };
        // the last bytes are the signature or the signer's key: flip one in the middle (the payload)
        db.prepare(`UPDATE ${flip.table} SET ${flip.column} = ? WHERE ${idColumn} = ?`).run(
          flipBit(row.v, Math.floor(row.v.length / 2)),
          flip.job(),
        );
        db.close();
      });

      expect(() => c.running.jobs.get(flip.job())).toThrow(flip.named);
    }, 60_000);
  }

  it('detects a bit flipped in a stored model release and names it', async () => {
    const dir = fed.provisioned.coordinatorDir;
    const store = new SqliteJobStore(join(dir, 'state.sqlite'));
    const graph = store.loadAll().find((g) => g.job.id === closedJob)!;
    store.close();
    const audited = (await readAuditedJobs(join(dir, 'audit.jsonl'))).get(closedJob)!;
    const siteA = await fed.member('site-a');
    const release = signMessage(
      SigningContext.modelRelease,
      ModelRelease,
      { jobId: closedJob, siteId: 'site-a', allowed: false, reason: 'policy', modelHash: 'ab'.repeat(32) },
      siteA.signingKey.secretKey,
    );
    audited.releases.add('site-a'); // as if its model.released entry were in the log
    const keys = {
      coordinator: siteA.coordinatorSigningPublicKey,
      memberKey: (id: string) => (id === 'site-a' ? siteA.signingKey.publicKey : undefined),
    };
    const check = (envelope: typeof release) =>
      checkStoredJob({ ...graph, releases: [{ siteId: 'site-a', envelope }] }, audited, keys).problems;

    expect(check(release)).toEqual([]);
    expect(check({ ...release, payload: flipBit(release.payload, 3) })).toEqual([
      "site-a's model release does not verify (damaged or altered)",
    ]);
    expect(check({ ...release, signature: flipBit(release.signature, 60) })).toEqual([
      "site-a's model release does not verify (damaged or altered)",
    ]);
  });
});
