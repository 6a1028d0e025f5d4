import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAINTEXT_PROFILE_ID } from '../common/he/plaintext-insecure.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

function job(profile: string, masks: 'pairwise' | undefined) {
  return syntheticJob({
    model: { kind: 'mlp', hidden: [8], activation: 'tanh' },
    rounds: 3,
    minSites: 3,
    local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
    he: { profile, clipRange: 1, ...(masks ? { masks } : {}) },
    roundDeadlineSeconds: 30,
    seed: 1234,
  });
}

describe('HE with pairwise masks gives the plaintext FedAvg model (real gRPC, real SEAL)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 3, seed: 99 });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('agree within 1e-5 per weight, with the same seeds', async () => {
    const masked = await fed.researcher.submit(job('bgv-n2048-q54-t38/v1', 'pairwise'));
    expect((await waitForJob(fed.researcher, masked.jobId, 60_000)).state).toBe('completed');
    const plain = await fed.researcher.submit(job(PLAINTEXT_PROFILE_ID, undefined));
    expect((await waitForJob(fed.researcher, plain.jobId, 60_000)).state).toBe('completed');

    const maskedModels = await finalModels(fed, masked.jobId);
    const plainModels = await finalModels(fed, plain.jobId);
    for (const m of maskedModels) expect(Array.from(m)).toEqual(Array.from(maskedModels[0]!));
    const a = maskedModels[0]!;
    const b = plainModels[0]!;
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
    expect(a.some((w, i) => w !== b[i])).toBe(true);
  }, 120_000);
});
