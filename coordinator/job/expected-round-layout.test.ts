import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { specRoundLengths } from '../../common/fl/round-lengths.js';
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

const lengthsOf = (spec: ReturnType<typeof job>) => specRoundLengths(spec)!;

describe('expected round layout (exact, from the job’s fixed lengths)', () => {
  it('names the sections of every round in order', () => {
    const spec = job({ features: ['a', 'b'] });

    const names = [0, 1, 3, 4].map((r) => expectedSections(spec, r, lengthsOf(spec)).map((s) => s.name));

    expect(names).toEqual([['stats'], ['update', 'metrics'], ['update', 'metrics'], ['metrics']]);
  });

  it('fixes statistics and update exactly when the job lists numeric features only', () => {
    const spec = job({ features: ['a', 'b', 'c'] });

    const [stats] = expectedSections(spec, 0, lengthsOf(spec));
    const [update, metrics] = expectedSections(spec, 1, lengthsOf(spec));

    // 3 numeric columns x 3 slots x 4 limbs; logreg: 3 weights + bias + the FedAvg weight slot.
    expect([stats!.valueCount, update!.valueCount, metrics!.valueCount]).toEqual([36, 5, 816]);
  });

  it('fixes them exactly with a hashed categorical column too: 64 buckets, 64 inputs', () => {
    const spec = job(
      { features: ['a', 'cp'], categorical: ['cp'] },
      { kind: 'mlp', hidden: [4], activation: 'relu' },
    );

    const [stats] = expectedSections(spec, 0, lengthsOf(spec));
    const [update] = expectedSections(spec, 1, lengthsOf(spec));

    // (3 + 64) x 4 limbs; mlp [4] on 65 inputs: 65 x 4 + 4 + 4 + 1 weights, plus the weight slot.
    expect([stats!.valueCount, update!.valueCount]).toEqual([268, 65 * 4 + 9 + 1]);
  });

  it('expects the round-0 data report of a short job with categorical columns: minimum cell sizes and code slots', () => {
    const spec = job({ features: ['a', 'cp', 'ecg'], categorical: ['cp', 'ecg', 'unused'] });
    const numericOnly = job({ features: ['a', 'b'] });

    const [stats, report] = expectedSections(spec, 0, lengthsOf(spec));
    const refused = refusal(() =>
      checkExpectedLayout(spec, 0, [section('stats', stats!.valueCount)], adder, lengthsOf(spec), 'site-a'),
    );

    // 4 limbs x (100 minimum-cell slots + 2 columns x 64 slots x 14 values); 'unused' is no feature.
    expect(report!.name).toBe('datareport');
    expect(report!.valueCount).toBe(4 * (100 + 2 * 64 * 14));
    expect(refused).toBe("site-a's round 0 sections are [stats], the job needs [stats,datareport]");
    expect(expectedSections(numericOnly, 0, lengthsOf(numericOnly)).map((s) => s.name)).toEqual(['stats']);
  });

  it('fixes them exactly for declared features: statistics, data report and update from the schema alone', () => {
    const spec = job({
      features: [
        { name: 'x', type: 'categorical', vocabulary: { codes: ['a', 'b', 'c'] }, outOfVocabulary: 'other' },
        { name: 'n', type: 'numeric' },
        { name: 'f', type: 'binary' },
      ],
    });

    const sections = expectedSections(spec, 0, lengthsOf(spec)).map((s) => [s.name, s.valueCount]);
    const [update] = expectedSections(spec, 1, lengthsOf(spec));

    // stats: x 3 codes + outside, n 3, f (0/1 numeric) 3 = 10; report: 100 minimum-cell
    // slots, then x 2+3, n 2, f 2+2 = 111 (common/fl/data-report-layout.ts).
    expect(sections).toEqual([
      ['stats', 40],
      ['datareport', 444],
    ]);
    // inputs: x 3 codes + other, n, f = 6; logreg 6 weights + bias + the weight slot.
    expect(update!.valueCount).toBe(8);
  });

  it('refuses other sections, sizes and byte lengths, naming the site and the section', () => {
    const spec = job({ features: ['a', 'b', 'c'] });
    const lengths = lengthsOf(spec);
    const metrics = section('metrics', 816);

    const poisoned = refusal(() =>
      checkExpectedLayout(spec, 0, [section('stats', 4)], adder, lengths, 'site-c'),
    );
    const extra = refusal(() =>
      checkExpectedLayout(
        spec,
        1,
        [section('update', 5), metrics, section('x', 1)],
        adder,
        lengths,
        'site-c',
      ),
    );
    const longer = refusal(() =>
      checkExpectedLayout(
        spec,
        1,
        [{ ...section('update', 5), byteLength: 200 * 1024 * 1024 }, metrics],
        adder,
        lengths,
        'site-c',
      ),
    );
    const stated = refusal(() =>
      checkExpectedLayout(
        spec,
        1,
        [section('update', 7), metrics],
        adder,
        { statsLength: 9, parameterCount: 8 },
        'site-d',
      ),
    );

    expect(poisoned).toBe("site-c's section stats declares 4 values; the job's layout fixes 36");
    expect(extra).toBe("site-c's round 1 sections are [update,metrics,x], the job needs [update,metrics]");
    expect(longer).toMatch(/^site-c's section update declares 209715200 bytes, 5 values take 44$/);
    expect(stated).toBe("site-d's section update declares 7 values; the job's layout fixes 9");
    expect(() =>
      checkExpectedLayout(spec, 1, [section('update', 5), metrics], adder, lengths, 'site-c'),
    ).not.toThrow();
  });
});

describe('GLM jobs: every round after 0 carries one glm section of the fixed size', () => {
  const glm = () => job({ features: ['a', 'b', 'c'], categorical: [] }, { kind: 'glm', family: 'binomial' });
  // intercept + 3 numeric columns = 4 coefficients: 4 + 4 + 10 + 8 = 26 values in 4 limbs each
  const exactCount = 26 * 4;

  it('accepts the exact GLM statistics length in rounds 1..R+1', () => {
    for (const round of [1, 3, 4]) {
      expect(expectedSections(glm(), round, lengthsOf(glm())).map((s) => s.name)).toEqual(['glm']);
      checkExpectedLayout(glm(), round, [section('glm', exactCount)], adder, lengthsOf(glm()), 'site-a');
    }
  });

  it('refuses a training update or another length in a GLM round', () => {
    const lengths = lengthsOf(glm());
    expect(
      refusal(() => checkExpectedLayout(glm(), 1, [section('update', 5)], adder, lengths, 'site-a')),
    ).toContain('the job needs [glm]');
    expect(() =>
      checkExpectedLayout(glm(), 1, [section('glm', exactCount + 4)], adder, lengths, 'site-a'),
    ).toThrow(HeflError);
  });
});
