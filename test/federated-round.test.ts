import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJobOutcome } from '../cli/researcher/job-outcome.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

describe('a 3-site encrypted federation over real gRPC (one process)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 3 });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('runs a FedAvg job under HE to completion and every site agrees on every model', async () => {
    const job = syntheticJob({
      rounds: 3,
      minSites: 3,
      local: { epochs: 2, batchSize: 32, learningRate: 0.1 },
      roundDeadlineSeconds: 30,
    });
    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 60_000);
    if (status.state !== 'completed')
      console.error(
        status.reason,
        fed.logs.filter((l) => /failed|declined/.test(l.event)),
      );
    expect(status.state).toBe('completed');
    const outcome = readJobOutcome(
      status,
      fed.researcherKeys.sealingSecretKey,
      (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
    );
    expect(outcome.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const round of outcome) {
      expect(round.participants).toEqual(['site-a', 'site-b', 'site-c']);
      expect(round.metrics?.accuracy).toBeGreaterThan(0.5);
    }
    console.log(outcome.map((r) => r.metrics));
  }, 90_000);
});
