import { afterEach, describe, expect, it } from 'vitest';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';

// Every site trains a little slower than the bare model would, so rounds are still running
// when the late site arrives or the restarted one comes back.
const JOB = syntheticJob({
  rounds: 7,
  minSites: 2,
  roundDeadlineSeconds: 20,
});

async function roundOpen(fed: TestFederation, jobId: string, round: number): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const status = await fed.researcher.status(jobId);
    if (status.currentRound >= round && status.state === 'running') return;
    if (
      Date.now() > until ||
      (status.state !== 'running' && status.state !== 'recruiting' && status.state !== 'keying')
    )
      throw new Error(
        `job did not reach round ${round} (state ${status.state}, round ${status.currentRound})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sites that were not there when the job started', () => {
  let fed: TestFederation | undefined;
  afterEach(async () => {
    await fed?.stop();
    fed = undefined;
  });

  it('a site that comes online mid-job gets the key sealed by a key holder, catches up and takes part', async () => {
    fed = await startTestFederation({ sites: 3, startSites: 2, trainerFor: (_, t) => slowTrainer(t, 300) });
    await waitForSites(fed, 10_000, 2);
    const { jobId } = await fed.researcher.submit(JOB);
    await roundOpen(fed, jobId, 2);
    fed.startSite(2);
    const status = await waitForJob(fed.researcher, jobId, 120_000);

    expect(status.state, status.reason).toBe('completed');
    expect(status.decisions).toContainEqual({ siteId: 'site-c', accept: true, reason: '' });
    const actions = fed.audit.entries.map((e) => `${e.actor} ${e.action}`);
    expect(actions).toContain('site-c job.joined');
    const granted = fed.audit.entries.find((e) => e.action === 'key.granted');
    expect(granted?.details).toMatchObject({ jobId, to: 'site-c' });
    expect(['site-a', 'site-b']).toContain(granted?.details.by);
    // It contributed to later rounds, not only observed them.
    const joinedRounds = status.roundStatus.filter((r) => r.participants.includes('site-c'));
    expect(joinedRounds.length).toBeGreaterThan(0);
    expect(joinedRounds[0]!.round).toBeGreaterThan(2);
    const models = await finalModels(fed, jobId);
    expect(Array.from(models[2]!)).toEqual(Array.from(models[0]!));
    expect(Array.from(models[1]!)).toEqual(Array.from(models[0]!));
  }, 150_000);

  it('a late site is refused when the job already has maxSites sites, with the reason, and the job goes on', async () => {
    fed = await startTestFederation({ sites: 3, startSites: 2, trainerFor: (_, t) => slowTrainer(t, 300) });
    await waitForSites(fed, 10_000, 2);
    const { jobId } = await fed.researcher.submit(
      syntheticJob({ rounds: 4, minSites: 2, maxSites: 2, roundDeadlineSeconds: 20 }),
    );
    await roundOpen(fed, jobId, 1);
    fed.startSite(2);
    const status = await waitForJob(fed.researcher, jobId, 120_000);

    expect(status.state, status.reason).toBe('completed');
    const refused = fed.logs.find((l) => l.site === 'site-c' && l.event === 'task.failed');
    expect(String(refused?.fields.error)).toMatch(/the job already has its maximum of 2 sites \(maxSites\)/);
    expect(status.roundStatus.some((r) => r.participants.includes('site-c'))).toBe(false);
    expect(fed.audit.entries.some((e) => e.action === 'job.joined')).toBe(false);
  }, 150_000);

  it('a site whose node restarts mid-job rejoins, recovers the global model from the aggregates, and takes part again', async () => {
    fed = await startTestFederation({ sites: 3, trainerFor: (_, t) => slowTrainer(t, 300) });
    await waitForSites(fed);
    const { jobId } = await fed.researcher.submit(JOB);
    await roundOpen(fed, jobId, 3);
    fed.restartSite(1);
    const status = await waitForJob(fed.researcher, jobId, 120_000);

    expect(status.state, status.reason).toBe('completed');
    const rejoined = fed.audit.entries.find((e) => e.action === 'job.rejoined');
    expect(rejoined?.actor).toBe('site-b');
    // The restarted node opened its own sealed copy of the dealer's key: no grant needed.
    expect(fed.audit.entries.some((e) => e.action === 'key.granted')).toBe(false);
    const restartedAt = Number(rejoined!.details.round);
    const later = status.roundStatus.filter(
      (r) => r.round > restartedAt + 1 && r.participants.includes('site-b'),
    );
    expect(later.length, 'site-b contributes again after catching up').toBeGreaterThan(0);
    const models = await finalModels(fed, jobId);
    expect(Array.from(models[1]!)).toEqual(Array.from(models[0]!));
    expect(Array.from(models[2]!)).toEqual(Array.from(models[0]!));
  }, 150_000);
});
