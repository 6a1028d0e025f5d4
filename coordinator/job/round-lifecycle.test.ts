import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { type BenchHe, createBenchHe, drain, JobBench } from '../../test/support/job-bench/job-bench.js';

// Rounds of a running job with a ManualClock: open, close when all updates are in or at the
// deadline, stragglers, minSites, report deadlines and re-runs after an invalid aggregate.

let he: BenchHe;
beforeAll(async () => {
  he = await createBenchHe();
});
afterAll(() => he.delete());

const ALL = ['site-a', 'site-b', 'site-c'];
const DEADLINE_MS = 60_000;

/** A bench whose job runs with every site, round 0 open. */
function running(spec: Record<string, unknown> = {}): JobBench {
  const bench = new JobBench(he, { spec });
  bench.start();
  bench.recruit();
  return bench;
}

async function refusalCode(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (error instanceof HeflError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('RoundLifecycle: closing a round', () => {
  it('closes the round when the last participant uploads, before any deadline, and sends every site the summary', async () => {
    const bench = running();
    const job = bench.controller;

    await bench.upload('site-a');
    await bench.upload('site-b');
    expect(job.currentRound?.state).toBe('collecting');
    await bench.uploadAll(['site-c']);

    expect(bench.clock.now() - job.currentRound!.openedAt).toBe(0);
    expect(job.currentRound?.state).toBe('closed');
    expect(bench.entries('round.closed')).toEqual([
      expect.objectContaining({ round: 0, participants: ALL, absent: [] }),
    ]);
    for (const site of ALL)
      expect(bench.tasks(site, 'roundClosed')).toEqual([expect.objectContaining({ round: 0 })]);
  });

  it('closes at the deadline without the straggler, who is named absent in the summary', async () => {
    const bench = running();
    const job = bench.controller;
    await bench.upload('site-a');
    await bench.upload('site-b');

    bench.clock.advance(DEADLINE_MS - 1);
    expect(job.currentRound?.state).toBe('collecting');
    bench.clock.advance(1);
    await bench.roundClosed();

    expect(job.currentRound?.state).toBe('closed');
    expect(job.currentRound?.contributors).toEqual(['site-a', 'site-b']);
    expect(bench.entries('round.closed')[0]).toMatchObject({
      participants: ['site-a', 'site-b'],
      absent: [{ siteId: 'site-c', reason: 'no update by the round deadline' }],
    });
  });

  it('refuses the straggler’s update once the round closed at its deadline', async () => {
    const bench = running();
    await bench.upload('site-a');
    await bench.upload('site-b');
    bench.clock.advance(DEADLINE_MS);
    await bench.roundClosed();

    const code = await refusalCode(() => bench.upload('site-c'));

    expect(code).toBe('deadline_exceeded');
    expect(bench.entries('update.accepted').map((d) => d.site)).toEqual(['site-a', 'site-b']);
  });

  it('fails the job at the deadline when fewer than minSites updates came in', async () => {
    const bench = running();
    const job = bench.controller;
    await bench.upload('site-a');

    bench.clock.advance(DEADLINE_MS);

    expect(job.state).toBe('failed');
    expect(job.reason).toBe('round 0: 1 update(s) by the deadline, minSites is 2');
    expect(bench.actions()).not.toContain('round.closed');
    expect(bench.clock.pending()).toBe(0);
  });

  it('opens the next round with the sites that reported the same model, at a new deadline', async () => {
    const bench = running({ rounds: 2 });
    const job = bench.controller;
    await bench.uploadAll(ALL);
    bench.clock.advance(5_000);
    bench.clearTasks();

    for (const site of ALL) bench.report(site, 0);

    expect(job.currentRound?.round).toBe(1);
    expect(job.currentRound?.participants).toEqual(ALL);
    expect(job.currentRound?.deadline).toBe(bench.clock.now() + DEADLINE_MS);
    for (const site of ALL)
      expect(bench.tasks(site, 'roundOpen')).toEqual([
        expect.objectContaining({ round: 1, participants: ALL }),
      ]);
  });

  it('leaves out a site that did not report the applied model by the report deadline', async () => {
    const bench = running({ rounds: 2 });
    const job = bench.controller;
    await bench.uploadAll(ALL);
    bench.report('site-a', 0);
    bench.report('site-b', 0);

    bench.clock.advance(DEADLINE_MS);

    expect(job.currentRound?.round).toBe(1);
    expect(job.currentRound?.participants).toEqual(['site-a', 'site-b']);
    expect(job.rounds[0]!.absent).toEqual([
      { siteId: 'site-c', reason: 'did not report the applied model by the deadline' },
    ]);
  });

  it('fails when too few sites reported to go on with minSites', async () => {
    const bench = running({ minSites: 3 });
    const job = bench.controller;
    await bench.uploadAll(ALL);
    bench.report('site-a', 0);
    bench.report('site-b', 0);

    bench.clock.advance(DEADLINE_MS);

    expect(job.state).toBe('failed');
    expect(job.reason).toBe('after round 0 only 2 site(s) remain, minSites is 3');
  });

  it('fails when the contributors disagree on the model they got, naming who got which', async () => {
    const bench = running();
    const job = bench.controller;
    await bench.uploadAll(ALL);

    bench.report('site-a', 0, { modelHash: 'aaaaaaaaaaaaaaaa' });
    bench.report('site-b', 0, { modelHash: 'aaaaaaaaaaaaaaaa' });
    bench.report('site-c', 0, { modelHash: 'cccccccccccccccc' });

    expect(job.state).toBe('failed');
    expect(job.reason).toBe(
      'round 0: sites disagree on the global model (site-a,site-b=aaaaaaaaaaaa vs site-c=cccccccccccc)',
    );
  });

  it('refuses a report for a round not yet closed, and one for another attempt', async () => {
    const bench = running();
    const early = await refusalCode(() => bench.report('site-a', 0));
    await bench.uploadAll(ALL);

    const otherAttempt = await refusalCode(() => bench.report('site-a', 0, { attempt: 1 }));

    expect([early, otherAttempt]).toEqual(['failed_precondition', 'failed_precondition']);
    expect(bench.actions()).not.toContain('round.reported');
  });
});

describe('RoundLifecycle: checking updates', () => {
  it('refuses an update from a site that is not a participant of the round', async () => {
    const bench = new JobBench(he);
    bench.start();
    bench.recruit(['site-a', 'site-b']);

    const code = await refusalCode(() => bench.upload('site-c'));

    expect(code).toBe('permission_denied');
  });

  it('refuses an update for another round, and a second update from the same site', async () => {
    const bench = running();
    await bench.upload('site-a');

    const wrongRound = await refusalCode(() => bench.upload('site-b', { round: 1 }));
    const second = await refusalCode(() => bench.upload('site-a', { value: 0.5 }));

    expect([wrongRound, second]).toEqual(['failed_precondition', 'already_exists']);
    expect(bench.controller.currentRound?.uploads.size).toBe(1);
  });

  it('refuses an update whose sent time is outside the freshness window of the coordinator clock', async () => {
    const bench = running({ roundDeadlineSeconds: 3_600 });
    const update = await bench.updateOf('site-a');
    bench.clock.advance(5 * 60_000 + 1);

    const code = await refusalCode(() => bench.controller.checkUploadHeader('site-a', update.header));

    expect(code).toBe('replay');
  });

  it('refuses a reused update nonce', async () => {
    const bench = running();
    const first = await bench.updateOf('site-a');
    await bench.controller.acceptUpload(
      'site-a',
      first.header,
      first.envelope.payload,
      first.layout,
      first.blob,
    );
    const replayed = await bench.updateOf('site-b');

    const code = await refusalCode(() =>
      bench.controller.checkUploadHeader('site-b', { ...replayed.header, nonce: first.header.nonce }),
    );

    expect(code).toBe('replay');
  });

  it('refuses a layout the job does not allow before reading the blob', async () => {
    const bench = running();
    const wrong = bench.sectionsFor(1, 0.1); // round-1 sections in round 0

    const code = await refusalCode(() => bench.upload('site-a', { sections: wrong }));

    expect(code).toBe('invalid_argument');
    expect(bench.actions()).not.toContain('update.accepted');
  });
});

describe('RoundLifecycle: invalid aggregates and re-runs', () => {
  it('re-runs the round as attempt 1 when most contributors report the aggregate invalid', async () => {
    const bench = running();
    const job = bench.controller;
    await bench.uploadAll(ALL);
    bench.clearTasks();

    bench.report('site-a', 0, { aggregateInvalid: true, invalidReason: 'sum check failed' });
    bench.report('site-b', 0, { aggregateInvalid: true, invalidReason: 'sum check failed' });
    await drain();

    expect(bench.entries('round.aggregate-invalid')).toEqual([
      expect.objectContaining({ round: 0, attempt: 0, reportedBy: ['site-a', 'site-b'] }),
    ]);
    expect(job.currentRound?.round).toBe(0);
    expect(job.currentRound?.attempt).toBe(1);
    expect(job.currentRound?.state).toBe('collecting');
    for (const site of ALL)
      expect(bench.tasks(site, 'roundOpen')).toEqual([expect.objectContaining({ round: 0, attempt: 1 })]);
  });

  it('refuses an update of the failed attempt once the re-run opened, and closes the re-run on its own uploads', async () => {
    const bench = running();
    const job = bench.controller;
    await bench.uploadAll(ALL);
    for (const site of ['site-a', 'site-b'])
      bench.report(site, 0, { aggregateInvalid: true, invalidReason: 'sum check failed' });
    await drain();

    const stale = await refusalCode(() => bench.upload('site-a', { attempt: 0 }));
    await bench.uploadAll(ALL);

    expect(stale).toBe('failed_precondition');
    expect(job.currentRound?.state).toBe('closed');
    expect(bench.entries('round.closed').at(-1)).toMatchObject({ round: 0, attempt: 1 });
  });

  it('fails the job after the third invalid attempt of a round', async () => {
    const bench = running();
    const job = bench.controller;

    for (let attempt = 0; attempt < 3; attempt++) {
      await bench.uploadAll(ALL);
      for (const site of ['site-a', 'site-b'])
        bench.report(site, 0, { aggregateInvalid: true, invalidReason: 'sum check failed' });
      await drain();
    }

    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(/^round 0: aggregate invalid in 3 attempts; /);
    expect(bench.entries('round.aggregate-invalid').map((d) => d.attempt)).toEqual([0, 1, 2]);
  });

  it('keeps the aggregate when only a minority reports it invalid, counting that site absent', async () => {
    const bench = running({ rounds: 2 });
    const job = bench.controller;
    await bench.uploadAll(ALL);

    bench.report('site-a', 0, { aggregateInvalid: true, invalidReason: 'sum check failed' });
    bench.report('site-b', 0);
    bench.report('site-c', 0);

    expect(bench.actions()).not.toContain('round.aggregate-invalid');
    expect(job.currentRound?.round).toBe(1);
    expect(job.currentRound?.participants).toEqual(['site-b', 'site-c']);
    expect(job.rounds[0]!.absent).toEqual([
      {
        siteId: 'site-a',
        reason: 'reported the aggregate invalid (sum check failed) while most applied it',
      },
    ]);
  });
});
