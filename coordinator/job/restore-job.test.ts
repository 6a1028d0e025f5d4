import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { ManualClock } from '../../common/time/manual-clock.js';
import { type BenchHe, createBenchHe, drain, JobBench } from '../../test/support/job-bench/job-bench.js';
import { SqliteJobStore } from '../storage/sqlite-job-store.js';
import { JobRegistry, type RestoreCheck } from './job-registry.js';

// A coordinator restart, deterministically: the job's state is in a real (in-memory) SQLite
// store, a new JobRegistry restores it with the same blobs, audit sink and ManualClock.

let he: BenchHe;
beforeAll(async () => {
  he = await createBenchHe();
});
afterAll(() => he.delete());

const stores: SqliteJobStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

const GRACE_MS = 30_000;

function benchWithStore(spec: Record<string, unknown> = {}): JobBench {
  const store = new SqliteJobStore(':memory:');
  stores.push(store);
  const bench = new JobBench(he, { store, spec });
  bench.start();
  return bench;
}

/**
 * Restarts the coordinator `downMs` later: the old process's timers stay in its clock (never
 * advanced again); a new registry over the same store, blobs and audit restores the job.
 */
async function restart(bench: JobBench, downMs = 0, check?: RestoreCheck): Promise<JobRegistry> {
  bench.clock = new ManualClock(bench.clock.now() + downMs);
  const { adder: _adder, ...deps } = bench.deps();
  const registry = new JobRegistry(deps, async () => bench.he.adder);
  await registry.restore(GRACE_MS, check);
  return registry;
}

describe('restoring a job after a coordinator restart', () => {
  it('adds the accepted updates of the collecting round again from their blobs: the aggregate counts each once', async () => {
    const bench = benchWithStore();
    bench.recruit();
    await bench.upload('site-a', { value: 1 });
    await bench.upload('site-b', { value: 2 });

    bench.controller = (await restart(bench)).get('job-bench');
    await bench.uploadAll(['site-c'], 4);

    expect(bench.controller.currentRound?.contributors).toEqual(['site-a', 'site-b', 'site-c']);
    expect(Array.from(await bench.aggregateOf(0, 'stats'))).toEqual([7, 7, 7]);
  });

  it('gives a round whose deadline passed while the coordinator was down the grace period, then closes it', async () => {
    const bench = benchWithStore();
    bench.recruit();
    await bench.upload('site-a');
    await bench.upload('site-b');

    // Down for 90 s: the 60 s deadline passed while nobody could upload.
    const job = (await restart(bench, 90_000)).get('job-bench');
    bench.controller = job;
    bench.clock.advance(GRACE_MS - 1);
    await drain();
    expect(job.currentRound?.state).toBe('collecting');
    expect(job.currentRound?.absent).toEqual([]);
    bench.clock.advance(1);
    await bench.roundClosed();

    expect(job.currentRound?.state).toBe('closed');
    expect(job.currentRound?.absent).toEqual([
      { siteId: 'site-c', reason: 'no update by the round deadline' },
    ]);
  });

  it('audits an accepted update whose blob was lost as update.lost and counts its site absent', async () => {
    const bench = benchWithStore();
    bench.recruit();
    await bench.upload('site-a');
    await bench.upload('site-b');
    const lost = bench.controller.currentRound!.uploads.get('site-b')!.blobDigest;
    bench.blobs.remove(lost);

    const job = (await restart(bench)).get('job-bench');

    expect(bench.entries('update.lost')).toEqual([
      expect.objectContaining({ site: 'site-b', blobDigest: lost, round: 0 }),
    ]);
    expect(job.currentRound?.contributors).toEqual(['site-a']);
    expect(job.currentRound?.absent).toEqual([
      {
        siteId: 'site-b',
        reason: expect.stringMatching(/^its accepted update was lost at the coordinator: blob /),
      },
    ]);
  });

  it('ends recruiting on restore when every offered site had answered before the crash', async () => {
    const bench = benchWithStore();
    for (const site of ['site-a', 'site-b']) bench.decide(site);
    // site-c answers; the crash comes before recruiting is ended (state still recruiting in the store)
    bench.store.saveDecision('job-bench', 'site-c', true, '');

    const job = (await restart(bench)).get('job-bench');

    expect(job.state).toBe('keying');
    expect(job.accepted).toEqual(['site-a', 'site-b', 'site-c']);
    expect(bench.tasks('site-a', 'keyCeremony')).toHaveLength(1);
  });

  it('restores a completed job as completed, with its rounds, and arms no timer', async () => {
    const bench = benchWithStore();
    bench.recruit();
    for (let round = 0; round < 3; round++) {
      await bench.uploadAll(['site-a', 'site-b', 'site-c']);
      for (const site of ['site-a', 'site-b', 'site-c']) bench.report(site, round);
    }

    const job = (await restart(bench)).get('job-bench');

    expect(job.state).toBe('completed');
    expect(job.rounds.map((r) => [r.round, r.state, r.reports.size])).toEqual([
      [0, 'closed', 3],
      [1, 'closed', 3],
      [2, 'closed', 3],
    ]);
    expect(bench.clock.pending()).toBe(0);
  });

  it('refuses, by name and audited, a job whose stored state the audit check rejects', async () => {
    const bench = benchWithStore();
    bench.recruit();

    const registry = await restart(bench, 0, (graph) => ({
      graph,
      problems: ['round 0 is not in the audit log'],
      unstoredUpdates: [],
    }));

    expect(bench.entries('job.refused')).toEqual([
      {
        jobId: 'job-bench',
        reason: 'its stored state disagrees with the audit log: round 0 is not in the audit log',
      },
    ]);
    let code = '';
    try {
      registry.get('job-bench');
    } catch (error) {
      code = error instanceof HeflError ? error.code : '';
    }
    expect(code).toBe('failed_precondition');
  });
});
