import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFederation, type TestFederation, waitForSites } from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

const AGGREGATION_DELAY_MS = 1500;

describe('a job cancelled while a round is being aggregated', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({
      sites: 2,
      // fault injection: the in-process coordinator holds each round in 'aggregating' this long
      holdAggregation: () => new Promise((resolve) => setTimeout(resolve, AGGREGATION_DELAY_MS)),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('stays cancelled: the round is dropped unsigned, the job is not failed afterwards', async () => {
    const { jobId } = await fed.researcher.submit(
      syntheticJob({ rounds: 3, minSites: 2, roundDeadlineSeconds: 30 }),
    );
    const until = Date.now() + 60_000;
    let aggregating: number | undefined;
    while (aggregating === undefined) {
      if (Date.now() > until) throw new Error('no round reached aggregation');
      const status = await fed.researcher.status(jobId);
      aggregating = status.roundStatus.find((r) => r.round >= 1 && r.state === 'aggregating')?.round;
      if (aggregating === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    await fed.researcher.cancel(jobId, 'stopped by the test');
    await new Promise((r) => setTimeout(r, AGGREGATION_DELAY_MS + 1000));

    const status = await fed.researcher.status(jobId);
    expect({ state: status.state, reason: status.reason }).toEqual({
      state: 'cancelled',
      reason: 'stopped by the test',
    });
    const ends = fed.audit.entries.filter((e) => e.action.startsWith('job.') && e.details.jobId === jobId);
    expect(
      ends.map((e) => e.action).filter((a) => ['job.cancelled', 'job.failed', 'job.completed'].includes(a)),
    ).toEqual(['job.cancelled']);
    const closed = fed.audit.entries.filter(
      (e) => e.action === 'round.closed' && e.details.jobId === jobId && e.details.round === aggregating,
    );
    expect(closed, 'the interrupted round was never closed and signed').toEqual([]);
    expect(status.roundStatus.find((r) => r.round === aggregating)?.state).not.toBe('closed');
  }, 90_000);
});
