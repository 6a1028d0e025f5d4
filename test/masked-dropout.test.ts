import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAINTEXT_PROFILE_ID } from '../common/he/plaintext-insecure.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';

function job(profile: string, masks: 'pairwise' | undefined) {
  return syntheticJob({
    model: { kind: 'logreg' },
    rounds: 2,
    minSites: 3,
    local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
    he: { profile, clipRange: 1, ...(masks ? { masks } : {}) },
    roundDeadlineSeconds: 2.5,
    seed: 77,
  });
}

// site-d trains slower than the deadline: every training round closes without it. Under
// masks its pair masks with the others do not cancel, so that attempt's aggregate is
// invalid; the round is re-run with the sites that uploaded, under fresh masks.
describe('pairwise masks with a site that uploads nothing (real gRPC, real SEAL)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({
      sites: 4,
      seed: 5,
      trainerFor: (i, shared) => (i === 3 ? slowTrainer(shared, 4_000) : shared),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it("the round's model equals the survivors' plaintext FedAvg within 1e-5", async () => {
    const masked = await fed.researcher.submit(job('bgv-n2048-q54-t38/v1', 'pairwise'));
    const maskedStatus = await waitForJob(fed.researcher, masked.jobId, 120_000);
    expect(maskedStatus.state).toBe('completed');
    const plain = await fed.researcher.submit(job(PLAINTEXT_PROFILE_ID, undefined));
    expect((await waitForJob(fed.researcher, plain.jobId, 120_000)).state).toBe('completed');

    // The first attempt of round 1 was found invalid by the sites (masks with site-d left in).
    const invalid = (jobId: string) =>
      fed.logs.filter((l) => l.event === 'round.aggregate-invalid' && l.fields.job === jobId);
    expect(invalid(masked.jobId).some((l) => l.fields.round === 1 && l.fields.attempt === 0)).toBe(true);
    expect(invalid(plain.jobId)).toEqual([]);
    const round1 = maskedStatus.roundStatus.find((r) => r.round === 1)!;
    expect(round1.participants).toEqual(['site-a', 'site-b', 'site-c']);
    const a = (await finalModels(fed, masked.jobId))[0]!;
    const b = (await finalModels(fed, plain.jobId))[0]!;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
  }, 240_000);
});
