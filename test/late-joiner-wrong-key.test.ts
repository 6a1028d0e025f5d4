import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorClient } from '../client-node/coordinator-client.js';
import { sealKeyBundle } from '../client-node/key-ceremony.js';
import type { SiteKeys } from '../client-node/site-keys.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { KeyBundle } from '../proto/gen/hefl/v1/messages.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';

const JOB = syntheticJob({ rounds: 5, minSites: 2, roundDeadlineSeconds: 20 });

/**
 * A key holder that, asked to seal the job's key to a late joiner, seals another key (a
 * well-formed, correctly signed bundle whose own commitment matches the wrong key).
 */
class WrongKeyHolder extends CoordinatorClient {
  constructor(
    address: string,
    private readonly keys: SiteKeys,
    private readonly wrong: () => SiteVectorCipher,
    private readonly sealingKey: (siteId: string) => Uint8Array | undefined,
  ) {
    super(address, credentials.createInsecure());
  }

  override postKeyBundle(envelope: SignedEnvelope): Promise<void> {
    const bundle = KeyBundle.decode(envelope.payload);
    if (bundle.sealed.length !== 1) return super.postKeyBundle(envelope); // the dealer's own bundle
    const to = bundle.sealed[0]!.siteId;
    const forged = sealKeyBundle(
      this.keys,
      this.wrong(),
      { jobId: bundle.jobId, profileId: bundle.profileId },
      [{ siteId: to, sealingPublicKey: this.sealingKey(to)! }],
    );
    return super.postKeyBundle(forged);
  }
}

describe('a late joiner handed a wrong key by a holder (real gRPC, real SEAL)', () => {
  let fed: TestFederation;
  let wrong: SiteVectorCipher;
  beforeAll(async () => {
    wrong = await generateSiteCipher(JOB.spec.he.profile, {
      clipRange: JOB.spec.he.clipRange,
      maxSites: JOB.spec.maxSites,
    });
    fed = await startTestFederation({
      sites: 3,
      startSites: 2,
      trainerFor: (_, t) => slowTrainer(t, 300),
      clientFor: (i, address, keys) =>
        i < 2
          ? new WrongKeyHolder(
              address,
              keys,
              () => wrong,
              (id) => fed.federation.siteSealingKey(id),
            )
          : undefined,
    });
    await waitForSites(fed, 10_000, 2);
  });
  afterAll(async () => {
    await fed?.stop();
    wrong?.delete();
  });

  it("detects it against the dealer's commitment and says so, naming the holder", async () => {
    const { jobId } = await fed.researcher.submit(JOB);
    const until = Date.now() + 60_000;
    while ((await fed.researcher.status(jobId)).currentRound < 2) {
      if (Date.now() > until) throw new Error('job did not reach round 2');
      await new Promise((r) => setTimeout(r, 50));
    }
    fed.startSite(2);
    const granted = () =>
      fed.audit.entries.find((e) => e.action === 'key.granted' && e.details.jobId === jobId);
    const said = () =>
      fed.logs.find(
        (l) =>
          l.site === 'site-c' && l.event === 'task.failed' && /key commitment/.test(String(l.fields.error)),
      );
    while (!said()) {
      if (Date.now() > until + 30_000)
        throw new Error(`site-c said nothing (grant: ${JSON.stringify(granted()?.details)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const holder = String(granted()?.details.by);
    expect(['site-a', 'site-b']).toContain(holder);
    expect(String(said()!.fields.error)).toMatch(
      new RegExp(
        `key commitment mismatch: the job key handed over by ${holder} is not the key dealer site-[ab] committed to`,
      ),
    );
    // The wrong key never takes part: site-c contributes to no round, and the job goes on.
    const status = await waitForJob(fed.researcher, jobId, 120_000);
    expect(status.state, status.reason).toBe('completed');
    expect(status.roundStatus.some((r) => r.participants.includes('site-c'))).toBe(false);
  }, 150_000);
});
