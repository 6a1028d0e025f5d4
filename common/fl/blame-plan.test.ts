import { describe, expect, it } from 'vitest';
import {
  type BlamePlan,
  blamePlan,
  blameVerdict,
  isPlannedProbe,
  revealsAnIndividual,
} from './blame-plan.js';

const sites = (n: number) => Array.from({ length: n }, (_, i) => `site-${String(i).padStart(2, '0')}`);

function planFor(n: number, minGroup = 2): BlamePlan {
  const plan = blamePlan(sites(n), minGroup);
  if ('refused' in plan) throw new Error(plan.refused);
  return plan;
}

describe('blamePlan', () => {
  it('names any single invalid upload among 10 contributors from the validity of 5 probes of 4', () => {
    const plan = planFor(10, 3);

    expect(plan.probes.map((p) => p.length)).toEqual([4, 4, 4, 4, 4]);
    for (const culprit of sites(10)) {
      const invalid = plan.probes.map((p) => p.includes(culprit));
      expect(blameVerdict(plan, invalid)).toEqual({ kind: 'culprit', siteId: culprit });
    }
  });

  it('reports two invalid uploads as several instead of naming an innocent, and all-valid probes as unconfirmed', () => {
    const plan = planFor(10);
    const two = plan.probes.map((p) => p.includes('site-01') || p.includes('site-07'));

    expect(blameVerdict(plan, two)).toEqual({ kind: 'several' });
    expect(
      blameVerdict(
        plan,
        plan.probes.map(() => false),
      ),
    ).toEqual({ kind: 'unconfirmed' });
  });

  it.each([3, 4, 5, 8, 9])(
    'refuses blame over %i contributors: no plan hides every individual update',
    (n) => {
      expect(blamePlan(sites(n), 2)).toEqual({
        refused: expect.stringMatching(/no blame plan over \d+ contributors/),
      });
    },
  );

  it('is the same plan whatever order the contributors come in (sites recompute it)', () => {
    expect(blamePlan([...sites(10)].reverse(), 2)).toEqual(blamePlan(sites(10), 2));
  });
});

describe('revealsAnIndividual', () => {
  it('flags leave-one-out: with the full sum, each sum of n-1 gives one update away', () => {
    const n = 10;
    const leaveOneOut = Array.from({ length: n }, (_, i) => [...Array(n).keys()].filter((k) => k !== i));

    expect(revealsAnIndividual(n, leaveOneOut)).toBe(true);
  });

  it('flags a probe that, with one colluding observer, isolates a third site', () => {
    // Observer 0 knows its own update; probe {0, 1} then gives site 1's.
    expect(
      revealsAnIndividual(6, [
        [0, 1, 2, 3],
        [0, 1],
      ]),
    ).toBe(true);
  });
});

describe('isPlannedProbe (the site-side gate before decrypting a probe)', () => {
  const contributors = sites(10);
  const plan = planFor(10);

  it('allows exactly the plan’s sets, in any order, at their own index', () => {
    expect(isPlannedProbe(contributors, 2, 1, [...plan.probes[0]!].reverse())).toBe(true);
    expect(isPlannedProbe(contributors, 2, 2, plan.probes[0]!)).toBe(false);
    expect(isPlannedProbe(contributors, 2, 6, plan.probes[0]!)).toBe(false);
  });

  it('refuses any other subset a coordinator might ask for: a leave-one-out sum, a single site, a plan set plus one', () => {
    expect(isPlannedProbe(contributors, 2, 1, contributors.slice(1))).toBe(false);
    expect(isPlannedProbe(contributors, 2, 1, ['site-03'])).toBe(false);
    expect(isPlannedProbe(contributors, 2, 1, [...plan.probes[0]!, 'site-09'])).toBe(false);
  });

  it('refuses every probe where no plan is safe', () => {
    expect(isPlannedProbe(sites(4), 2, 1, ['site-00', 'site-01'])).toBe(false);
  });
});
