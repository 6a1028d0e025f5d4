import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { PLAINTEXT_PROFILE_ID, PlaintextAdder } from '../../common/he/plaintext-insecure.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import type { SectionLayout } from '../../common/protocol/section-framing.js';
import { checkExpectedLayout, expectedSections } from './expected-round-layout.js';

const adder = new PlaintextAdder();

function job(data: Record<string, unknown>, model: Record<string, unknown> = { kind: 'logreg' }) {
  return parseJobSpec({
    model,
    rounds: 3,
    data: { label: 'y', ...data },
    he: { profile: PLAINTEXT_PROFILE_ID },
  }).spec;
}

function section(name: string, valueCount: number): SectionLayout {
  const shape = adder.uploadShape(valueCount);
  return {
    name,
    profileId: PLAINTEXT_PROFILE_ID,
    form: shape.form,
    valueCount,
    ciphertextCount: shape.ciphertextCount,
    byteLength: shape.maxBytes,
  };
}

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(HeflError.is(error, 'invalid_argument')).toBe(true);
    return (error as HeflError).publicDetail ?? '';
  }
  throw new Error('expected the layout to be refused');
}

describe('expected round layout (from the job spec)', () => {
  it('names the sections of every round in order', () => {
    const spec = job({ features: ['a', 'b'] });

    const names = [0, 1, 3, 4].map((r) => expectedSections(spec, r).map((s) => s.name));

    expect(names).toEqual([['stats'], ['update', 'metrics'], ['update', 'metrics'], ['metrics']]);
  });

  it('fixes statistics and update exactly when the job lists numeric features only', () => {
    const spec = job({ features: ['a', 'b', 'c'] });

    const [stats] = expectedSections(spec, 0);
    const [update, metrics] = expectedSections(spec, 1);

    // 3 numeric columns x 3 slots x 4 limbs; logreg: 3 weights + bias + the FedAvg weight slot.
    expect([stats!.min, stats!.max]).toEqual([36, 36]);
    expect([update!.min, update!.max]).toEqual([5, 5]);
    expect([metrics!.min, metrics!.max]).toEqual([816, 816]);
  });

  it('bounds what the spec cannot fix: numeric columns unlisted, category buckets unknown', () => {
    const spec = job({ categorical: ['cp'] }, { kind: 'mlp', hidden: [4], activation: 'relu' });
    const [stats] = expectedSections(spec, 0);
    const [update] = expectedSections(spec, 1);

    expect([256, 268].map((n) => stats!.accepts(n))).toEqual([true, true]);
    expect([16, 260, 4 * 1000 + 1].map((n) => stats!.accepts(n))).toEqual([false, false, false]);
    // mlp [4]: 4 x inputs + 4 + 4 + 1 weights, plus the weight slot: 4 values per input, 10 fixed.
    expect([14, 14 + 4 * 7].map((n) => update!.accepts(n))).toEqual([true, true]);
    expect([10, 16].map((n) => update!.accepts(n))).toEqual([false, false]);
  });

  it('expects the round-0 data report of a short job with categorical columns: minimum cell sizes and code slots', () => {
    const spec = job({ features: ['a', 'cp', 'ecg'], categorical: ['cp', 'ecg', 'unused'] });
    const numericOnly = job({ features: ['a', 'b'] });

    const [stats, report] = expectedSections(spec, 0);
    const refused = refusal(() =>
      checkExpectedLayout(spec, 0, [section('stats', stats!.min)], adder, undefined),
    );

    // 4 limbs x (100 minimum-cell slots + 2 columns x 64 slots x 14 values); 'unused' is no feature.
    expect(report!.name).toBe('datareport');
    expect([report!.min, report!.max]).toEqual([4 * (100 + 2 * 64 * 14), 4 * (100 + 2 * 64 * 14)]);
    expect(refused).toBe('round 0 sections are [stats], the job needs [stats,datareport]');
    expect(expectedSections(numericOnly, 0).map((s) => s.name)).toEqual(['stats']);
  });

  it('refuses other sections, sizes and byte lengths, and an update length other than an earlier round’s', () => {
    const spec = job({ features: ['a', 'b', 'c'] });
    const metrics = section('metrics', 816);

    const poisoned = refusal(() => checkExpectedLayout(spec, 0, [section('stats', 4)], adder, undefined));
    const extra = refusal(() =>
      checkExpectedLayout(spec, 1, [section('update', 5), metrics, section('x', 1)], adder, undefined),
    );
    const longer = refusal(() =>
      checkExpectedLayout(
        spec,
        1,
        [{ ...section('update', 5), byteLength: 200 * 1024 * 1024 }, metrics],
        adder,
        undefined,
      ),
    );
    const later = refusal(() =>
      checkExpectedLayout(job({ categorical: ['cp'] }), 2, [section('update', 7), metrics], adder, [
        section('update', 9),
      ]),
    );

    expect(poisoned).toBe('section stats declares 4 values; the job allows 36');
    expect(extra).toBe('round 1 sections are [update,metrics,x], the job needs [update,metrics]');
    expect(longer).toMatch(/^section update declares 209715200 bytes, 5 values take 44$/);
    expect(later).toBe('section update declares 7 values; the job allows 9');
    expect(() =>
      checkExpectedLayout(spec, 1, [section('update', 5), metrics], adder, undefined),
    ).not.toThrow();
  });
});

describe('GLM jobs: every round after 0 carries one glm section of the spec-given size', () => {
  const glm = () => job({ features: ['a', 'b', 'c'], categorical: [] }, { kind: 'glm', family: 'binomial' });
  // intercept + 3 numeric columns = 4 coefficients: 4 + 4 + 10 + 8 = 26 values in 4 limbs each
  const exactCount = 26 * 4;

  it('accepts the exact GLM statistics length in rounds 1..R+1', () => {
    for (const round of [1, 3, 4]) {
      expect(expectedSections(glm(), round).map((s) => s.name)).toEqual(['glm']);
      checkExpectedLayout(glm(), round, [section('glm', exactCount)], adder, undefined);
    }
  });

  it('refuses a training update or another length in a GLM round', () => {
    expect(refusal(() => checkExpectedLayout(glm(), 1, [section('update', 5)], adder, undefined))).toContain(
      'the job needs [glm]',
    );
    expect(() => checkExpectedLayout(glm(), 1, [section('glm', exactCount + 4)], adder, undefined)).toThrow(
      HeflError,
    );
  });
});
