import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';

const DEADLINE_S = 6;
/** site-c's extra training time per round: past the deadline, while the job still runs. */
const STRAGGLER_MS = DEADLINE_S * 1000 + 2_000;
/**
 * The healthy sites' extra training time per round: the 7 rounds after round 1 then take at
 * least 7 s, so the job is still running when site-c's late round-1 update arrives (2 s after
 * the close). Without it, on an idle machine, the job completed first and the update was
 * refused as "job is completed" instead.
 */
const HEALTHY_MS = 1_000;

describe('a site slower than the round deadline', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({
      sites: 3,
      trainerFor: (i, shared) => slowTrainer(shared, i === 2 ? STRAGGLER_MS : HEALTHY_MS),
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
      // Generous for the healthy sites (a round takes 1-2.5 s under parallel load; 2.5 s
      // flaked), and below the straggler's training time.
      roundDeadlineSeconds: DEADLINE_S,
    });
    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 150_000);

    expect(status.state).toBe('completed');
    const round1 = status.roundStatus.find((r) => r.round === 1)!;
    expect(round1.participants).toEqual(['site-a', 'site-b']);
    expect(round1.absent).toEqual([{ siteId: 'site-c', reason: 'no update by the round deadline' }]);
    // The slow site is never silently dropped: it applies every round it missed (as an
    // observer) and ends with exactly the model the others have.
    const models = await finalModels(fed, jobId);
    expect(Array.from(models[2]!)).toEqual(Array.from(models[0]!));

    // the straggler's update arrives after the close and is refused with the reason, in the audit log
    const until = Date.now() + STRAGGLER_MS + 5_000;
    let refused: (typeof fed.audit.entries)[number] | undefined;
    while (!refused && Date.now() < until) {
      refused = fed.audit.entries.find((e) => e.action === 'update.refused');
      if (!refused) await new Promise((r) => setTimeout(r, 100));
    }
    expect(String(refused?.details.reason)).toMatch(
      /update for round 1, current round is [2-9]|round 1 is closed/,
    );
  }, 180_000);
});
