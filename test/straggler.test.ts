import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowTrainer } from '../client-node/training/slow-trainer.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

describe('a site slower than the round deadline', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({
      sites: 3,
      trainerFor: (i, shared) => (i === 2 ? slowTrainer(shared, 3_500) : shared),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('is left out of the round with a reason; its late update is refused and logged; the job completes', async () => {
    const job = syntheticJob({
      rounds: 8,
      minSites: 2,
      roundDeadlineSeconds: 2.5,
    });
    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 90_000);

    expect(status.state).toBe('completed');
    const round1 = status.roundStatus.find((r) => r.round === 1)!;
    expect(round1.participants).toEqual(['site-a', 'site-b']);
    expect(round1.absent).toEqual([{ siteId: 'site-c', reason: 'no update by the round deadline' }]);
    // The slow site is never silently dropped: it applies every round it missed (as an
    // observer) and ends with exactly the model the others have.
    const models = await finalModels(fed, jobId);
    expect(Array.from(models[2]!)).toEqual(Array.from(models[0]!));

    // the straggler's update arrives after the close and is refused with the reason, in the audit log
    const until = Date.now() + 10_000;
    let refused: (typeof fed.audit.entries)[number] | undefined;
    while (!refused && Date.now() < until) {
      refused = fed.audit.entries.find((e) => e.action === 'update.refused');
      if (!refused) await new Promise((r) => setTimeout(r, 100));
    }
    expect(String(refused?.details.reason)).toMatch(
      /update for round 1, current round is [2-9]|round 1 is closed/,
    );
  }, 120_000);
});
