import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { type BenchHe, createBenchHe, JobBench } from '../../test/support/job-bench/job-bench.js';

// The job state machine (recruiting -> keying -> running -> completed | failed | cancelled),
// driven through JobController's public methods with a ManualClock: no real deadline waits.

let he: BenchHe;
beforeAll(async () => {
  he = await createBenchHe();
});
afterAll(() => he.delete());

function refusalCode(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof HeflError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('JobController: recruiting', () => {
  it('offers the job to every connected site on start, and only to them', () => {
    const bench = new JobBench(he, { connected: ['site-a', 'site-b'] });

    const job = bench.start();

    expect(job.state).toBe('recruiting');
    expect([...job.offeredTo].sort()).toEqual(['site-a', 'site-b']);
    expect(bench.tasks('site-a', 'jobOffer')).toHaveLength(1);
    expect(bench.tasks('site-a', 'jobOffer')[0]!.jobHash).toBe(bench.job.hash);
    expect(bench.tasks('site-c', 'jobOffer')).toHaveLength(0);
  });

  it('ends recruiting as soon as every offered site answered, picks the first accepted site as dealer', () => {
    const bench = new JobBench(he);
    const job = bench.start();

    bench.decide('site-c');
    bench.decide('site-b');
    expect(job.state).toBe('recruiting');
    bench.decide('site-a', false, 'busy');

    expect(job.state).toBe('keying');
    expect(job.accepted).toEqual(['site-b', 'site-c']);
    expect(job.dealer).toBe('site-b');
    const ceremony = bench.tasks('site-b', 'keyCeremony');
    expect(ceremony).toHaveLength(1);
    expect(ceremony[0]!.sites.map((s) => s.siteId)).toEqual(['site-b', 'site-c']);
    expect(bench.tasks('site-c', 'keyCeremony')).toHaveLength(0);
    expect(bench.actions()).toEqual(['job.accepted', 'job.accepted', 'job.declined']);
  });

  it('ends recruiting at recruitSeconds with the sites that accepted by then', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    bench.decide('site-a');
    bench.decide('site-b');

    bench.clock.advance(bench.job.spec.recruitSeconds * 1000 - 1);
    expect(job.state).toBe('recruiting');
    bench.clock.advance(1);

    expect(job.state).toBe('keying');
    expect(job.accepted).toEqual(['site-a', 'site-b']);
  });

  it('fails at the recruiting deadline with fewer than minSites acceptances, naming who declined and who was silent', () => {
    const bench = new JobBench(he, { spec: { minSites: 3 } });
    const job = bench.start();
    bench.decide('site-a');
    bench.decide('site-b', false, 'no data');

    bench.clock.advance(bench.job.spec.recruitSeconds * 1000);

    expect(job.state).toBe('failed');
    expect(job.reason).toBe(
      'only 1 site(s) accepted; the job needs minSites = 3 (site-b: no data; site-c: no answer)',
    );
    expect(bench.entries('job.failed')).toEqual([{ jobId: 'job-bench', reason: job.reason }]);
    for (const site of ['site-a', 'site-b', 'site-c'])
      expect(bench.tasks(site, 'jobEnded').map((t) => t.state)).toEqual(['failed']);
  });

  it('keeps at most maxSites of the accepted sites (in id order)', () => {
    const bench = new JobBench(he, { spec: { maxSites: 2 } });
    const job = bench.start();

    for (const site of ['site-c', 'site-b', 'site-a']) bench.decide(site);

    expect(job.accepted).toEqual(['site-a', 'site-b']);
  });

  it('acknowledges the same answer again without recording it twice, and refuses another job hash', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    bench.decide('site-a');

    bench.decide('site-a');
    const { decision, envelope } = bench.decisionOf('site-b');
    const code = refusalCode(() => job.decide('site-b', { ...decision, jobHash: 'f'.repeat(64) }, envelope));

    expect(bench.entries('job.accepted')).toHaveLength(1);
    expect(code).toBe('invalid_argument');
    expect(job.decisions.has('site-b')).toBe(false);
  });

  it('stops waiting for a site revoked before it answered', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    bench.decide('site-a');
    bench.decide('site-b');

    bench.members.revoke('site-c');
    job.onMembersChanged();

    expect(job.state).toBe('keying');
    expect(job.accepted).toEqual(['site-a', 'site-b']);
  });

  it('leaves out a site revoked after it accepted: it is never sealed the key', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    for (const site of ['site-a', 'site-b', 'site-c']) {
      if (site === 'site-c') bench.members.revoke('site-a');
      bench.decide(site);
    }

    expect(job.state).toBe('keying');
    expect(job.accepted).toEqual(['site-b', 'site-c']);
    expect(job.dealer).toBe('site-b');
  });

  it('offers the job to a site that connects while recruiting', () => {
    const bench = new JobBench(he, { connected: ['site-a', 'site-b'] });
    const job = bench.start();

    bench.connect('site-c', false);

    expect(job.offeredTo.has('site-c')).toBe(true);
    expect(bench.tasks('site-c', 'jobOffer')).toHaveLength(1);
  });
});

describe('JobController: key ceremony', () => {
  it('runs once the dealer posts a bundle sealed to exactly the accepted sites, and opens round 0', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    for (const site of ['site-a', 'site-b', 'site-c']) bench.decide(site);

    bench.postDealerBundle();

    expect(job.state).toBe('running');
    expect(bench.entries('key.ceremony')).toEqual([
      expect.objectContaining({
        jobId: 'job-bench',
        dealer: 'site-a',
        sites: ['site-a', 'site-b', 'site-c'],
      }),
    ]);
    for (const site of ['site-a', 'site-b', 'site-c']) {
      expect(bench.tasks(site, 'keyBundle')).toHaveLength(1);
      expect(bench.tasks(site, 'roundOpen')).toEqual([
        expect.objectContaining({ round: 0, attempt: 0, participants: ['site-a', 'site-b', 'site-c'] }),
      ]);
    }
    expect(job.currentRound?.deadline).toBe(bench.clock.now() + 60_000);
  });

  it('refuses a bundle from a site that is not the dealer, and one that leaves out an accepted site', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    for (const site of ['site-a', 'site-b', 'site-c']) bench.decide(site);

    const notDealer = bench.bundleOf('site-b', job.accepted);
    const partial = bench.bundleOf('site-a', ['site-a', 'site-b']);
    const codes = [
      refusalCode(() => job.postKeyBundle('site-b', notDealer.bundle, notDealer.envelope)),
      refusalCode(() => job.postKeyBundle('site-a', partial.bundle, partial.envelope)),
    ];

    expect(codes).toEqual(['permission_denied', 'invalid_argument']);
    expect(job.state).toBe('keying');
    expect(bench.actions()).not.toContain('key.ceremony');
  });

  it('fails when the dealer posts no bundle within roundDeadlineSeconds', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    for (const site of ['site-a', 'site-b', 'site-c']) bench.decide(site);

    bench.clock.advance(60_000 - 1);
    expect(job.state).toBe('keying');
    bench.clock.advance(1);

    expect(job.state).toBe('failed');
    expect(job.reason).toBe('dealer site-a posted no key bundle in time');
  });

  it('sends the key ceremony again to the dealer when it reconnects before posting', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    for (const site of ['site-a', 'site-b', 'site-c']) bench.decide(site);
    bench.disconnect('site-a');
    bench.clearTasks();

    bench.connect('site-a', true);

    expect(job.state).toBe('keying');
    expect(bench.tasks('site-a', 'keyCeremony')).toHaveLength(1);
  });
});

describe('JobController: ending', () => {
  it('completes after the last round is reported, telling every site it ended', async () => {
    const bench = new JobBench(he);
    const job = bench.start();
    bench.recruit();
    const sites = job.accepted;

    for (let round = 0; round < 3; round++) {
      await bench.uploadAll(sites);
      for (const site of sites) bench.report(site, round);
    }

    expect(job.state).toBe('completed');
    expect(job.rounds.map((r) => r.state)).toEqual(['closed', 'closed', 'closed']);
    expect(bench.actions().filter((a) => a.startsWith('round.'))).toEqual([
      ...['round.opened', 'round.closed', 'round.reported', 'round.reported', 'round.reported'],
      ...['round.opened', 'round.closed', 'round.reported', 'round.reported', 'round.reported'],
      ...['round.opened', 'round.closed', 'round.reported', 'round.reported', 'round.reported'],
    ]);
    expect(bench.actions().at(-1)).toBe('job.completed');
    for (const site of sites)
      expect(bench.tasks(site, 'jobEnded').map((t) => t.state)).toEqual(['completed']);
  });

  it('cancels at any state, once: later cancels and deadlines change nothing', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    bench.recruit();

    job.cancel('researcher', '');
    job.cancel('researcher', 'again');
    bench.clock.advance(10 * 60_000);

    expect(job.state).toBe('cancelled');
    expect(job.reason).toBe('cancelled by researcher');
    expect(bench.entries('job.cancelled')).toHaveLength(1);
    expect(bench.actions()).not.toContain('job.failed');
    expect(bench.clock.pending()).toBe(0);
  });

  it('refuses a decision once recruiting is over and the job is not running', () => {
    const bench = new JobBench(he);
    const job = bench.start();
    for (const site of ['site-a', 'site-b']) bench.decide(site);
    bench.clock.advance(10_000);

    const late = bench.decisionOf('site-c');
    const code = refusalCode(() => job.decide('site-c', late.decision, late.envelope));

    expect(job.state).toBe('keying');
    expect(code).toBe('failed_precondition');
  });
});
