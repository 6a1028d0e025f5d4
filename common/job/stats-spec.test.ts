import { describe, expect, it } from 'vitest';
import { parseJobSpec } from './job-spec.js';
import { parseModelSpec } from './model-spec.js';

describe('stats model spec', () => {
  it('normalises a valid spec (defaults empty) and keeps strata', () => {
    expect(
      parseModelSpec({ kind: 'stats', numeric: ['age'], categories: { sex: ['0', '1'] }, strata: 'sex' }),
    ).toEqual({
      kind: 'stats',
      numeric: ['age'],
      categories: { sex: ['0', '1'] },
      histograms: {},
      crossTabs: [],
      strata: 'sex',
    });
  });

  it('names every problem: unordered edges, a cross-tab or strata column without levels, nothing to compute', () => {
    const problems = () =>
      parseModelSpec({
        kind: 'stats',
        histograms: { age: [50, 40] },
        crossTabs: [['cp', 'sex']],
        strata: 'site',
      });
    expect(problems).toThrow(/spec.histograms.age: bin edges must be finite and strictly increasing/);
    expect(problems).toThrow(/spec.crossTabs\[0\]\[0\]: 'cp' has no levels: list it under categories/);
    expect(problems).toThrow(/spec.strata: 'site' has no levels/);
    expect(() => parseModelSpec({ kind: 'stats' })).toThrow(
      /needs at least one of numeric, categories, histograms/,
    );
  });

  it('a stats job runs one round and claims no DP', () => {
    const job = { model: { kind: 'stats', numeric: ['age'] }, data: { label: 'y' } };
    expect(parseJobSpec({ ...job, rounds: 1 }).spec.model.kind).toBe('stats');
    expect(() => parseJobSpec({ ...job, rounds: 3 })).toThrow(/rounds: a stats job runs 1 round/);
    expect(() => parseJobSpec({ ...job, rounds: 1, dp: { epsilon: 1 } })).toThrow(
      /dp: a stats job releases exact/,
    );
  });
});
