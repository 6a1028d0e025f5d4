import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { exactSection } from '../client-node/round-sections.js';
import { modelHash } from '../client-node/strategy/index.js';
import { sha256 } from '../common/crypto/index.js';
import { dataReportValues } from '../common/fl/data-report-layout.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import { frameSection, type SectionLayout } from '../common/protocol/section-framing.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { UpdateHeader } from '../proto/gen/hefl/v1/messages.js';
import { SiteServiceClient } from '../proto/gen/hefl/v1/services.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { MisbehavingSite } from './support/misbehaving-site.js';
import { syntheticJob, syntheticRoundLengths } from './support/synthetic-job.js';

/*
 * Issue 12, item 6 and the resource acceptance test: a participant that declares huge
 * sections, streams a gibibyte, or opens a hundred uploads and goes quiet leaves the
 * coordinator's memory within the README's bound and no file behind, while an honest job
 * running alongside ends with the same model as an undisturbed run.
 */

// "round 0: 0 update(s) by the deadline" under the attack (blamed on a mask-stream change,
// which was reverted) was this test's own attacker stalling the shared event loop: see `oneTurn`.
const JOB = syntheticJob({ rounds: 2, minSites: 3, maxSites: 4, roundDeadlineSeconds: 12 });
const IDLE_MS = 1_500;
const MiB = 1024 * 1024;
/** What the README promises an attacker can add to the coordinator's resident memory. */
const RSS_BOUND = 160 * MiB;

type SiteRpc = InstanceType<typeof SiteServiceClient>;

function header(
  keys: { siteId: string; signingSecretKey: Uint8Array },
  jobId: string,
  sections: SectionLayout[],
): SignedEnvelope {
  return signMessage(
    SigningContext.updateHeader,
    UpdateHeader,
    {
      jobId,
      round: 0,
      siteId: keys.siteId,
      nonce: randomBytes(16),
      sections,
      payloadDigest: Buffer.from(sha256(new Uint8Array(1))),
      sentAtMs: Date.now(),
    },
    keys.signingSecretKey,
  );
}

/**
 * Streams `header`, then up to `totalBytes` of zeros in 1 MiB chunks with backpressure,
 * until the coordinator ends the call. Resolves with its status and the bytes written.
 */
function stream(rpc: SiteRpc, envelope: SignedEnvelope, totalBytes: number) {
  return new Promise<{ error?: ServiceError; sent: number }>((resolve) => {
    let sent = 0;
    let ended = false;
    const call = rpc.upload((error) => {
      ended = true;
      resolve({ ...(error ? { error } : {}), sent });
    });
    call.on('error', () => {});
    call.write({ kind: { $case: 'header', value: envelope } });
    if (totalBytes === 0) return;
    const chunk = Buffer.alloc(MiB);
    // One chunk per turn of the event loop (see `oneTurn`): grpc-js rarely asks for a drain.
    const pump = () => {
      if (ended) return;
      if (sent >= totalBytes) {
        call.end();
        return;
      }
      sent += chunk.length;
      if (call.write({ kind: { $case: 'data', value: chunk } })) setImmediate(pump);
      else call.once('drain', pump);
    };
    setImmediate(pump);
  });
}

/**
 * The attacker runs in this process, on the event loop the coordinator and the honest sites
 * share. Opening its 100 streams in one go (100 Ed25519 signatures in tweetnacl and a fresh
 * 1 MiB buffer each, 100 calls) blocked that loop for 2-4 s on the loaded 2-core machine; when it resumed, Node ran the
 * coordinator's expired 1.5 s idle timers before reading the honest sites' upload data that
 * had arrived meanwhile, so their round-0 uploads were closed as idle ("round 0: 0 update(s)
 * by the deadline"), whenever they happened to be in flight then. A real attacker is another
 * process and cannot stall the coordinator's loop; so the attacker here yields between steps.
 */
function oneTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The final model hash of the honest sites (site-a..c), once all three agree on it. */
async function honestModelHash(fed: TestFederation, jobId: string): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    const models = fed.sites.slice(0, 3).map((s) => s.finalModel(jobId));
    if (models.every((m) => m !== undefined)) {
      const hashes = new Set(models.map((m) => modelHash(m!)));
      expect(hashes.size).toBe(1);
      return [...hashes][0]!;
    }
    if (Date.now() > until) throw new Error(`honest sites did not finish job ${jobId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tmpFiles(fed: TestFederation): string[] {
  return readdirSync(join(fed.dir, 'blobs', 'tmp'));
}

describe('a misbehaving participant cannot exhaust the coordinator', () => {
  let fed: TestFederation | undefined;
  let attacker: MisbehavingSite | undefined;
  afterEach(async () => {
    attacker?.close();
    await fed?.stop();
    fed = attacker = undefined;
  });

  it('a 1 GiB stream, 4 x 4 GiB and 200 MiB headers and 100 idle streams: RSS bounded, no file left, honest model unchanged', async () => {
    fed = await startTestFederation({
      sites: 4,
      startSites: 3,
      uploadLimits: { streamsPerMember: 2, inFlightBytesPerMember: 64 * MiB, idleMs: IDLE_MS },
    });
    await waitForSites(fed, 10_000, 3);
    const undisturbed = await fed.researcher.submit(JOB);
    expect((await waitForJob(fed.researcher, undisturbed.jobId, 120_000)).state).toBe('completed');
    const expectedHash = await honestModelHash(fed, undisturbed.jobId);

    // site-d joins the next job and attacks the moment round 0 opens.
    const cipher = await generateSiteCipher(JOB.spec.he.profile, {
      clipRange: JOB.spec.he.clipRange,
      maxSites: JOB.spec.maxSites,
    });
    // The statistics section the job's layout fixes (8 numeric columns and its 2 categorical ones).
    const stated = syntheticRoundLengths(JOB);
    const allowed = frameSection(exactSection(cipher, 'stats', new Float64Array(stated.statsLength))).layout;
    // Round 0 also carries the data report (minimum cell sizes, codes found in the categorical columns).
    const report = frameSection(
      exactSection(cipher, 'datareport', new Float64Array(dataReportValues(JOB.spec.data))),
    ).layout;
    cipher.delete();
    const address = `127.0.0.1:${fed.coordinator.port}`;
    const rpc: SiteRpc = new SiteServiceClient(address, credentials.createInsecure());
    let attacks: Promise<Record<string, unknown>> | undefined;
    attacker = new MisbehavingSite(
      fed.siteKeys[3]!,
      address,
      (open, site) => {
        if (open.round !== 0 || attacks) return;
        const of = (sections: SectionLayout[]) => header(site.keys, open.jobId, sections);
        attacks = (async () => {
          const [gib, huge, twoHundred] = await Promise.all([
            stream(rpc, of([{ ...allowed, byteLength: 1024 * MiB }, report]), 1024 * MiB),
            stream(
              rpc,
              of(
                Array.from({ length: 4 }, (_, i) => ({
                  ...allowed,
                  byteLength: 0xffff_ffff,
                  name: ['stats', 'a', 'b', 'c'][i]!,
                })),
              ),
              0,
            ),
            stream(rpc, of([{ ...allowed, byteLength: 200 * MiB }, report]), 200 * MiB),
          ]);
          // Signed one per turn of the loop, then opened all at once (opening is cheap).
          const headers: SignedEnvelope[] = [];
          for (let i = 0; i < 100; i++) {
            headers.push(of([allowed, report]));
            await oneTurn();
          }
          const idle = await Promise.all(headers.map((h) => stream(rpc, h, 0)));
          const codes = new Map<string, number>();
          for (const r of idle) {
            const code = r.error ? status[r.error.code] : 'answered';
            codes.set(code!, (codes.get(code!) ?? 0) + 1);
          }
          return { gib, huge, twoHundred, idle: Object.fromEntries(codes) };
        })();
      },
      stated,
    );
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);

    const disturbed = await fed.researcher.submit(JOB);
    const final = await waitForJob(fed.researcher, disturbed.jobId, 120_000);
    const outcome = await Promise.race([
      attacks ?? Promise.reject(new Error('site-d never saw round 0 open')),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('attacks still hanging')), 30_000)),
    ]);
    clearInterval(sampler);
    rpc.close();

    const refusal = (r: unknown) => {
      const { error, sent } = r as { error?: ServiceError; sent: number };
      return {
        code: error ? status[error.code] : 'answered',
        details: error?.details,
        sentMiB: Math.round(sent / MiB),
      };
    };
    expect(refusal(outcome.gib)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: expect.stringMatching(/declares 1073741824 bytes/),
    });
    expect(refusal(outcome.gib).sentMiB).toBeLessThanOrEqual(64);
    expect(refusal(outcome.huge)).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(refusal(outcome.twoHundred)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: expect.stringMatching(/declares 209715200 bytes/),
    });
    // Two uploads per member at once; the admitted ones are closed when they go quiet (the
    // client queues streams beyond 16 per connection, so later ones find free slots again).
    const idle = outcome.idle as Record<string, number>;
    expect(Object.keys(idle).sort()).toEqual(['DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED']);
    expect(idle.DEADLINE_EXCEEDED! + idle.RESOURCE_EXHAUSTED!).toBe(100);
    expect(idle.RESOURCE_EXHAUSTED).toBeGreaterThanOrEqual(80);
    expect(tmpFiles(fed)).toEqual([]);
    console.log(
      `RSS grew by ${Math.round((peak - baseline) / MiB)} MiB (bound ${RSS_BOUND / MiB}); idle streams ${JSON.stringify(idle)}`,
    );
    expect(peak - baseline, `RSS grew by ${Math.round((peak - baseline) / MiB)} MiB`).toBeLessThan(RSS_BOUND);
    expect(final.state, final.reason).toBe('completed');
    expect(await honestModelHash(fed, disturbed.jobId)).toBe(expectedHash);
  }, 240_000);
});
