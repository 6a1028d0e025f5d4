import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { RecordingProxy } from './support/recording-proxy.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';

/** How long site-c's network is cut: longer than the round deadline (CUT_MS - 2 s). */
const CUT_MS = 8_000;

describe('a site whose network drops for longer than a round, then comes back', () => {
  const proxy = new RecordingProxy();
  let fed: TestFederation;
  beforeAll(async () => {
    const proxyAddress = await proxy.start();
    fed = await startTestFederation({
      sites: 3,
      // Rounds take time, as real training does (here 0.8 s for the two other sites), so a
      // returning site can apply what it missed faster than new rounds close.
      trainerFor: (i, shared) => (i === 2 ? shared : slowTrainer(shared, 800)),
      siteAddress: proxy.routeSite(2, proxyAddress),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
    await proxy.stop();
  });

  it('is counted absent with the reason, catches up on what it missed, takes part again, and ends with the same model', async () => {
    const job = syntheticJob({
      rounds: 12,
      minSites: 2,
      // Generous: a healthy round takes 1-2.5 s under parallel load; a 2 s deadline flaked.
      roundDeadlineSeconds: CUT_MS / 1000 - 2,
    });
    const { jobId } = await fed.researcher.submit(job);
    // cut site-c off as soon as training round 1 opens, for longer than the deadline
    for (;;) {
      const status = await fed.researcher.status(jobId);
      if (status.currentRound >= 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    proxy.cut();
    await new Promise((r) => setTimeout(r, CUT_MS));
    proxy.restore();

    const status = await waitForJob(fed.researcher, jobId, 150_000);
    expect(status.state).toBe('completed');
    const missed = status.roundStatus.find((r) => r.absent.some((a) => a.siteId === 'site-c'));
    expect(missed, 'a round records site-c as absent').toBeDefined();
    expect(missed!.absent.find((a) => a.siteId === 'site-c')!.reason).toMatch(
      /^(no update by the round deadline|did not report the applied model by the deadline)$/,
    );
    const back = status.roundStatus.filter(
      (r) => r.round > missed!.round && r.participants.includes('site-c'),
    );
    expect(back.length, 'site-c takes part again in a later round').toBeGreaterThan(0);
    const models = await finalModels(fed, jobId);
    expect(Array.from(models[2]!)).toEqual(Array.from(models[0]!));
  }, 180_000);
});
