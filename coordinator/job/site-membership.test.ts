import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { type BenchHe, createBenchHe, JobBench } from '../../test/support/job-bench/job-bench.js';

// Who is in a running job: late joiners, key grants from key holders, sites that restart or
// were away, all driven through JobController with a ManualClock.

let he: BenchHe;
beforeAll(async () => {
  he = await createBenchHe();
});
afterAll(() => he.delete());

const FIRST = ['site-a', 'site-b'];

/** Job with site-a and site-b running (rounds: 2); site-d is admitted later and not connected. */
function running(spec: Record<string, unknown> = {}): JobBench {
  const bench = new JobBench(he, { sites: FIRST, spec: { rounds: 2, ...spec } });
  bench.start();
  bench.recruit();
  bench.admit('site-d');
  return bench;
}

/** Round 0 closes and is reported by site-a and site-b: round 1 is open. */
async function pastRoundZero(bench: JobBench): Promise<void> {
  await bench.uploadAll(FIRST);
  for (const site of FIRST) bench.report(site, 0);
}

function refusalCode(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof HeflError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('SiteMembership: late joiners and key grants', () => {
  it('offers the running job to a site that connects later; its acceptance is audited as a join', () => {
    const bench = running();
    const job = bench.controller;

    bench.connect('site-d', false);
    bench.decide('site-d');

    expect(bench.tasks('site-d', 'jobOffer')).toHaveLength(1);
    expect(job.accepted).toEqual(['site-a', 'site-b', 'site-d']);
    expect(bench.entries('job.joined')).toEqual([expect.objectContaining({ jobId: 'job-bench', round: 0 })]);
    // Nobody is known to run the job yet (no report, no hello since it started): the grant waits.
    expect(bench.logged.map((l) => l.event)).toContain('key.grant-waiting');
    expect(bench.tasks('site-a', 'keyGrant')).toEqual([]);
  });

  it('asks a key holder that reported a round to seal the key to the joiner', async () => {
    const bench = running();
    bench.connect('site-d', false);
    bench.decide('site-d');

    await pastRoundZero(bench);

    expect(bench.tasks('site-a', 'keyGrant')).toEqual([expect.objectContaining({ siteId: 'site-d' })]);
    expect(bench.tasks('site-b', 'keyGrant')).toEqual([]);
  });

  it('relays the holder’s grant, then sends the joiner every closed round to catch up on', async () => {
    const bench = running();
    bench.connect('site-d', false);
    bench.decide('site-d');
    await pastRoundZero(bench);

    const { bundle, envelope } = bench.bundleOf('site-a', ['site-d']);
    bench.controller.postKeyBundle('site-a', bundle, envelope);

    expect(bench.entries('key.granted')).toEqual([expect.objectContaining({ by: 'site-a', to: 'site-d' })]);
    expect(bench.tasks('site-d', 'keyBundle')).toHaveLength(1);
    expect(bench.tasks('site-d', 'roundClosed').map((t) => t.round)).toEqual([0]);
    expect(bench.controller.currentRound?.participants).toEqual(FIRST);
  });

  it('readmits a joiner to the round being collected once it reports the agreed model of the last closed round', async () => {
    const bench = running();
    const job = bench.controller;
    bench.connect('site-d', false);
    bench.decide('site-d');
    await pastRoundZero(bench);
    const grant = bench.bundleOf('site-a', ['site-d']);
    job.postKeyBundle('site-a', grant.bundle, grant.envelope);

    bench.report('site-d', 0);
    await bench.uploadAll(['site-a', 'site-b', 'site-d']);

    expect(bench.entries('round.opened').at(-1)).toMatchObject({ round: 1, rejoined: 'site-d' });
    expect(bench.tasks('site-d', 'roundOpen')).toEqual([expect.objectContaining({ round: 1 })]);
    expect(job.rounds[1]!.contributors).toEqual(['site-a', 'site-b', 'site-d']);
  });

  it('does not readmit a joiner that caught up to another model hash', async () => {
    const bench = running();
    const job = bench.controller;
    bench.connect('site-d', false);
    bench.decide('site-d');
    await pastRoundZero(bench);
    const grant = bench.bundleOf('site-a', ['site-d']);
    job.postKeyBundle('site-a', grant.bundle, grant.envelope);

    bench.report('site-d', 0, { modelHash: 'another-model' });

    expect(job.currentRound?.participants).toEqual(FIRST);
    expect(bench.tasks('site-d', 'roundOpen')).toEqual([]);
  });

  it('refuses a grant from a site without the key, and one sealing to more than one site', async () => {
    const bench = running();
    const job = bench.controller;
    bench.connect('site-d', false);
    bench.decide('site-d');
    await pastRoundZero(bench);

    const fromJoiner = bench.bundleOf('site-d', ['site-a']);
    const toTwo = bench.bundleOf('site-a', ['site-d', 'site-b']);
    const codes = [
      refusalCode(() => job.postKeyBundle('site-d', fromJoiner.bundle, fromJoiner.envelope)),
      refusalCode(() => job.postKeyBundle('site-a', toTwo.bundle, toTwo.envelope)),
    ];

    expect(codes).toEqual(['permission_denied', 'invalid_argument']);
    expect(bench.actions()).not.toContain('key.granted');
  });

  it('refuses a joiner once the job has maxSites sites, and records a decline without adding the site', () => {
    const full = running({ maxSites: 2 });
    full.connect('site-d', false);
    const join = full.decisionOf('site-d');
    const code = refusalCode(() => full.controller.decide('site-d', join.decision, join.envelope));

    const other = running();
    other.connect('site-d', false);
    other.decide('site-d', false, 'no consent');

    expect(code).toBe('failed_precondition');
    expect(full.controller.accepted).toEqual(FIRST);
    expect(other.controller.accepted).toEqual(FIRST);
    expect(other.entries('job.declined')).toEqual([expect.objectContaining({ reason: 'no consent' })]);
  });
});

describe('SiteMembership: sites that were away or restarted', () => {
  it('brings a site back that was away while a round closed: key, the missed summary, then the open round', async () => {
    const bench = new JobBench(he, { spec: { rounds: 2 } });
    const job = bench.start();
    bench.recruit();
    bench.disconnect('site-c');
    await bench.upload('site-a');
    await bench.upload('site-b');
    bench.clock.advance(60_000); // round 0 closes without site-c
    await bench.roundClosed();
    bench.clearTasks();

    bench.connect('site-c', true);

    expect(job.rounds[0]!.absent).toEqual([{ siteId: 'site-c', reason: 'no update by the round deadline' }]);
    expect(bench.sent.get('site-c')!.map((t) => t.$case)).toEqual(['keyBundle', 'roundClosed']);
    bench.report('site-a', 0);
    bench.report('site-b', 0);
    bench.report('site-c', 0);
    expect(job.currentRound?.round).toBe(1);
    expect(job.currentRound?.participants).toEqual(['site-a', 'site-b', 'site-c']);
  });

  it('offers the job again to an accepted site that restarted and lost it; its acceptance is a rejoin with its own key', async () => {
    const bench = running();
    const job = bench.controller;
    await pastRoundZero(bench);
    bench.disconnect('site-b');
    bench.clearTasks();

    bench.connect('site-b', false);
    const offers = bench.tasks('site-b', 'jobOffer').length;
    bench.decide('site-b');

    expect(offers).toBe(1);
    expect(bench.entries('job.rejoined')).toEqual([expect.objectContaining({ round: 1 })]);
    expect(job.accepted).toEqual(FIRST);
    expect(bench.sent.get('site-b')!.map((t) => t.$case)).toEqual(['jobOffer', 'keyBundle', 'roundClosed']);
    expect(bench.tasks('site-a', 'keyGrant')).toEqual([]);
  });
});
