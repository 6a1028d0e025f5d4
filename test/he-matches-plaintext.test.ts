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

function job(profile: string) {
  return syntheticJob({
    model: { kind: 'mlp', hidden: [8], activation: 'tanh' },
    rounds: 3,
    minSites: 3,
    local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
    he: { profile, clipRange: 1 },
    roundDeadlineSeconds: 30,
    seed: 1234,
  });
}

describe('HE FedAvg and plaintext FedAvg give the same model (real gRPC, real SEAL)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 3, seed: 99 });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('agree within 1e-5 per weight, with the same seeds', async () => {
    const he = await fed.researcher.submit(job('bgv-n2048-q54-t38/v1'));
    expect((await waitForJob(fed.researcher, he.jobId, 60_000)).state).toBe('completed');
    const plain = await fed.researcher.submit(job(PLAINTEXT_PROFILE_ID));
    expect((await waitForJob(fed.researcher, plain.jobId, 60_000)).state).toBe('completed');

    const heModels = await finalModels(fed, he.jobId);
    const plainModels = await finalModels(fed, plain.jobId);
    // every site holds the identical global model
    for (const m of heModels) expect(Array.from(m)).toEqual(Array.from(heModels[0]!));
    const a = heModels[0]!;
    const b = plainModels[0]!;
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
    // and the models really moved away from their (shared) starting point
    expect(a.some((w, i) => w !== b[i])).toBe(true);
  }, 120_000);
});
