import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorClient } from '../client-node/coordinator-client.js';
import type { SiteKeys } from '../client-node/site-keys.js';
import { sha256 } from '../common/crypto/index.js';
import { LIMB_MAGNITUDE } from '../common/fl/limb-encoding.js';
import { getProfile } from '../common/he/he-profile.js';
import { SiteCipher } from '../common/he/site-cipher.js';
import { frameSection, layoutFromProto, unframeSection } from '../common/protocol/section-framing.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { UpdateHeader } from '../proto/gen/hefl/v1/messages.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

const SITES = 10;
const CULPRIT = 'site-d';

/**
 * A site of the job whose uploads are garbage with the right layout: every section is
 * re-encrypted under a key of its own (not the job's), framed and signed like an honest
 * update, so the coordinator accepts it.
 */
class GarbageUploader extends CoordinatorClient {
  constructor(
    address: string,
    private readonly keys: SiteKeys,
    private readonly foreign: SiteCipher,
  ) {
    super(address, credentials.createInsecure());
  }

  override upload(header: SignedEnvelope, parts: readonly Uint8Array[]): Promise<SignedEnvelope> {
    const honest = UpdateHeader.decode(header.payload);
    const bytes = Buffer.concat(parts);
    const framed = [];
    let offset = 0;
    for (const layout of honest.sections.map(layoutFromProto)) {
      const { name, batch } = unframeSection(layout, bytes.subarray(offset, offset + layout.byteLength));
      offset += layout.byteLength;
      const garbage =
        name === 'update'
          ? this.foreign.encrypt(new Float64Array(batch.valueCount)).batch
          : this.foreign.encryptIntegers(new BigInt64Array(batch.valueCount), LIMB_MAGNITUDE);
      framed.push(frameSection({ name, batch: garbage }));
    }
    const forged = signMessage(
      SigningContext.updateHeader,
      UpdateHeader,
      {
        ...honest,
        sections: framed.map((f) => f.layout),
        payloadDigest: Buffer.from(sha256(...framed.flatMap((f) => f.bytes))),
      },
      this.keys.signingSecretKey,
    );
    return super.upload(
      forged,
      framed.flatMap((f) => f.bytes),
    );
  }
}

describe('a site of the job uploads right-layout garbage (ciphertexts under another key)', () => {
  let fed: TestFederation;
  let foreign: SiteCipher;
  beforeAll(async () => {
    const job = syntheticJob({ rounds: 1 });
    foreign = await SiteCipher.generate(getProfile(job.spec.he.profile), {
      clipRange: job.spec.he.clipRange,
      maxSites: SITES,
    });
    fed = await startTestFederation({
      sites: SITES,
      clientFor: (_, address, keys) =>
        keys.siteId === CULPRIT ? new GarbageUploader(address, keys, foreign) : undefined,
    });
    await waitForSites(fed);
  }, 60_000);
  afterAll(async () => {
    await fed?.stop();
    foreign?.delete();
  });

  it('sites report the invalid aggregate (signed), blame names the culprit, the round re-runs without it and the job completes', async () => {
    const job = syntheticJob({
      rounds: 1,
      minSites: 3,
      maxSites: SITES,
      local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
      roundDeadlineSeconds: 20,
    });

    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 100_000);

    expect(status.reason).toBe('');
    expect(status.state).toBe('completed');
    const entries = fed.audit.entries.filter((e) => e.details.jobId === jobId);
    const invalidReports = entries.filter((e) => e.action === 'round.invalid-reported');
    // Reports come in over the signed-report RPC: the actor is the site whose key signed it.
    expect(
      invalidReports
        .map((e) => e.actor)
        .filter((s) => s !== CULPRIT)
        .sort(),
    ).toHaveLength(SITES - 1);
    expect(invalidReports.every((e) => e.details.round === 0 && e.details.attempt === 0)).toBe(true);
    expect(String(invalidReports[0]?.details.reason)).toMatch(/padding slot\(s\) not zero|beyond what/);
    expect(entries.filter((e) => e.action === 'round.aggregate-invalid')).toHaveLength(1);
    const blame = entries.filter((e) => e.action === 'round.blame');
    expect(blame).toHaveLength(1);
    expect(blame[0]!.details).toMatchObject({ round: 0, attempt: 0, culprit: CULPRIT });
    const rerun = entries.find((e) => e.action === 'round.opened' && e.details.attempt === 1);
    expect(rerun?.details).toMatchObject({ round: 0 });
    expect(rerun?.details.participants).not.toContain(CULPRIT);
    expect(rerun?.details.participants as string[]).toHaveLength(SITES - 1);
    const round0 = status.roundStatus.find((r) => r.round === 0)!;
    expect(round0.absent).toEqual([
      { siteId: CULPRIT, reason: `named by blame: the update of ${CULPRIT} made the aggregate invalid` },
    ]);
    // No later round counts the culprit's update.
    const closedLater = entries.filter(
      (e) =>
        e.action === 'round.closed' &&
        ((e.details.attempt as number | undefined) ?? 0) + (e.details.round as number) > 0,
    );
    expect(closedLater.length).toBeGreaterThanOrEqual(3);
    for (const closed of closedLater) expect(closed.details.participants).not.toContain(CULPRIT);
  }, 120_000);
});

describe('garbage in a round too small to blame safely (3 sites)', () => {
  let fed: TestFederation;
  let foreign: SiteCipher;
  beforeAll(async () => {
    const job = syntheticJob({ rounds: 1 });
    foreign = await SiteCipher.generate(getProfile(job.spec.he.profile), {
      clipRange: job.spec.he.clipRange,
      maxSites: 3,
    });
    fed = await startTestFederation({
      sites: 3,
      clientFor: (_, address, keys) =>
        keys.siteId === 'site-c' ? new GarbageUploader(address, keys, foreign) : undefined,
    });
    await waitForSites(fed);
  }, 60_000);
  afterAll(async () => {
    await fed?.stop();
    foreign?.delete();
  });

  it('re-runs the round at most 3 times, names nobody (no safe blame plan) and fails the job saying so', async () => {
    const job = syntheticJob({ rounds: 1, minSites: 2, maxSites: 3, roundDeadlineSeconds: 20 });

    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 100_000);

    expect(status.state).toBe('failed');
    expect(status.reason).toMatch(
      /^round 0: aggregate invalid in 3 attempts; culprit not identified \(blame not attempted: no blame plan over 3 contributors/,
    );
    const entries = fed.audit.entries.filter((e) => e.details.jobId === jobId);
    const attempts = entries
      .filter((e) => e.action === 'round.aggregate-invalid')
      .map((e) => e.details.attempt);
    expect(attempts).toEqual([0, 1, 2]);
    const blame = entries.filter((e) => e.action === 'round.blame');
    expect(blame.map((e) => e.details.culprit)).toEqual([null, null, null]);
    expect(String(blame[0]!.details.verdict)).toMatch(/^blame not attempted/);
  }, 120_000);
});
