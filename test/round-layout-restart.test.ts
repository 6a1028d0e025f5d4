import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { dealKeys } from '../client-node/key-ceremony.js';
import { exactSection } from '../client-node/round-sections.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import { channelCredentials } from '../common/identity/index.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import { startCoordinator } from '../coordinator/start-coordinator.js';
import type { RunningCoordinator } from '../coordinator/transport/coordinator-server.js';
import { JobDecision } from '../proto/gen/hefl/v1/messages.js';
import { encryptedUpdate, refusal, ScriptedSite } from './support/scripted-site.js';
import { syntheticJob } from './support/synthetic-job.js';
import { startTlsFederation, type TlsFederation } from './support/tls-federation.js';

/*
 * Issue 12 item 1: a layout the spec leaves open (no feature list: the sites' CSVs decide) is
 * fixed from the sites' signed statements before round 0, stored with the job in SQLite, and
 * decoded (checked) when the production coordinator restarts.
 */

const JOB = syntheticJob({
  name: 'layout-restart',
  data: { label: 'event', categorical: [] },
  rounds: 1,
  minSites: 2,
  maxSites: 2,
  recruitSeconds: 60,
  roundDeadlineSeconds: 300,
});
const QUANTIZER = { clipRange: JOB.spec.he.clipRange, maxSites: JOB.spec.maxSites };
/** What both sites state: one numeric column (3 statistics), logistic regression on it (weight + bias). */
const STATED = { statsLength: 3, parameterCount: 2 };

describe('the fixed round layout is stored with the job and survives a coordinator restart', () => {
  let fed: TlsFederation;
  const running: RunningCoordinator[] = [];
  const sites: ScriptedSite[] = [];
  const ciphers: SiteVectorCipher[] = [];
  let dir: string;
  let jobId: string;
  let cipher: SiteVectorCipher;

  beforeAll(async () => {
    fed = await startTlsFederation(['site-a', 'site-b']);
    await fed.coordinator.stop();
    dir = mkdtempSync(join(tmpdir(), 'hefl-layout-'));
    cpSync(fed.provisioned.coordinatorDir, dir, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const s of sites) s.close();
    for (const c of ciphers) c.delete();
    for (const c of running) await c.stop().catch(() => {});
    await fed?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(
    at = dir,
  ): Promise<{ coordinator: RunningCoordinator; a: ScriptedSite; b: ScriptedSite }> {
    const coordinator = await startCoordinator({ dir: at, host: '127.0.0.1', port: 0, log: () => {} });
    running.push(coordinator);
    const address = `127.0.0.1:${coordinator.port}`;
    const [a, b] = [
      new ScriptedSite(await fed.member('site-a'), address),
      new ScriptedSite(await fed.member('site-b'), address),
    ];
    sites.push(a, b);
    await Promise.all([a.connect(), b.connect()]);
    return { coordinator, a, b };
  }

  const accept = (s: ScriptedSite, id: string) =>
    signMessage(
      SigningContext.jobDecision,
      JobDecision,
      {
        jobId: id,
        jobHash: JOB.hash,
        siteId: s.keys.siteId,
        accept: true,
        reason: '',
        nonce: randomBytes(16),
        ...STATED,
      },
      s.keys.signingSecretKey,
    );

  it('fixes the layout from the statements, stores it, and after a restart refuses another size, naming site and section', async () => {
    const first = await start();
    const researcher = await fed.member('researcher');
    const client = new ResearcherClient(
      `127.0.0.1:${first.coordinator.port}`,
      channelCredentials(researcher.tls),
      {
        signingSecretKey: researcher.signingKey.secretKey,
        sealingPublicKey: researcher.sealingKey.publicKey,
        sealingSecretKey: researcher.sealingKey.secretKey,
      },
    );
    ({ jobId } = await client.submit(JOB));
    client.close();
    await first.a.waitForTask('jobOffer', (o) => o.jobId === jobId);
    for (const s of [first.a, first.b]) await s.client.decide(accept(s, jobId));
    const ceremony = await first.a.waitForTask('keyCeremony', (k) => k.jobId === jobId);
    const dealt = await dealKeys(
      first.a.keys,
      { jobId, profileId: JOB.spec.he.profile, quantizer: QUANTIZER },
      ceremony.sites.map((s) => ({ siteId: s.siteId, sealingPublicKey: new Uint8Array(s.sealingPublicKey) })),
    );
    cipher = dealt.cipher;
    ciphers.push(cipher);
    await first.a.client.postKeyBundle(dealt.bundle);
    await first.a.waitForTask('roundOpen', (r) => r.jobId === jobId && r.round === 0);
    expect(first.coordinator.jobs.get(jobId).roundLengths).toEqual(STATED);
    await first.coordinator.stop();

    const again = await start();
    // 6 statistics: two numeric columns, inside any bound a spec without a feature list allows.
    const wrong = encryptedUpdate(again.a.keys, cipher, {
      jobId,
      round: 0,
      sections: [exactSection(cipher, 'stats', [1, 2, 3, 4, 5, 6])],
    });
    const refused = await refusal(again.a.client.upload(wrong.header, wrong.parts));
    const honest = encryptedUpdate(again.a.keys, cipher, { jobId, round: 0 });
    await again.a.client.upload(honest.header, honest.parts);

    expect(again.coordinator.jobs.get(jobId).roundLengths).toEqual(STATED);
    expect(`${status[refused.code]}: ${refused.details}`).toBe(
      "INVALID_ARGUMENT: invalid argument: site-a's section stats declares 24 values; the job's layout fixes 12",
    );
    expect(again.coordinator.jobs.get(jobId).currentRound?.uploads.has('site-a')).toBe(true);
    await again.coordinator.stop();
  }, 90_000);

  it('a stored layout that does not decode refuses that job by name (checked decode), the coordinator still starts', async () => {
    const damaged = mkdtempSync(join(tmpdir(), 'hefl-layout-damaged-'));
    cpSync(dir, damaged, { recursive: true });
    const db = new Database(join(damaged, 'state.sqlite'));
    db.prepare('UPDATE jobs SET round_layout = ? WHERE id = ?').run(
      '{"statsLength":-3,"parameterCount":2}',
      jobId,
    );
    db.close();

    const { coordinator } = await start(damaged);
    let why = '';
    try {
      coordinator.jobs.get(jobId);
    } catch (error) {
      why = (error as Error).message;
    }
    await coordinator.stop();
    rmSync(damaged, { recursive: true, force: true });

    expect(why).toContain(
      `job ${jobId} is not served: it could not be restored: the stored round layout is malformed`,
    );
  }, 60_000);
});
