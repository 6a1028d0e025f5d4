import { describe, expect, it } from 'vitest';
import { specRoundLengths } from '../../common/fl/round-lengths.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import { fixRoundLayout, type StatedLengths } from './fix-round-layout.js';

function job(data: Record<string, unknown>) {
  return parseJobSpec({ model: { kind: 'logreg' }, rounds: 2, data: { label: 'y', ...data } }).spec;
}

const unlisted = job({ categorical: ['cp'] });
const listed = job({ features: ['a', 'cp'], categorical: ['cp'] });
const honest: StatedLengths = { statsLength: 70, parameterCount: 67 };
const statements = (entries: [string, StatedLengths][]) => new Map(entries);

describe('fixRoundLayout: the round layout is fixed before round 0, never by the first uploader', () => {
  it('takes the strict majority of the accepting sites where the spec does not list its features', () => {
    const verdict = fixRoundLayout(
      unlisted,
      statements([
        ['site-a', honest],
        ['site-b', honest],
        ['site-c', { statsLength: 73, parameterCount: 67 }],
      ]),
    );

    expect(verdict).toEqual({
      lengths: honest,
      excluded: [
        {
          siteId: 'site-c',
          reason:
            'stated a round-0 statistics length other than the one the majority of accepting sites stated',
        },
      ],
    });
  });

  it('fails the job without a strict majority, naming the sites on each side and no value', () => {
    const verdict = fixRoundLayout(
      unlisted,
      statements([
        ['site-a', honest],
        ['site-b', { statsLength: 73, parameterCount: 68 }],
      ]),
    );

    expect('failure' in verdict && verdict.failure).toBe(
      "the accepting sites disagree on the round-0 statistics length (site-a | site-b): no strict majority fixes the job's layout",
    );
    expect(JSON.stringify(verdict)).not.toMatch(/70|73/);
  });

  it('excludes a site that stated nothing where the sites decide; none stated by most fails the job', () => {
    const none = { statsLength: 0, parameterCount: 0 };
    const oneSilent = fixRoundLayout(
      unlisted,
      statements([
        ['site-a', honest],
        ['site-b', honest],
        ['site-c', none],
      ]),
    );
    const allSilent = fixRoundLayout(
      unlisted,
      statements([
        ['site-a', none],
        ['site-b', none],
      ]),
    );

    expect('excluded' in oneSilent && oneSilent.excluded.map((e) => [e.siteId, e.reason])).toEqual([
      ['site-c', 'stated no round-0 statistics length and no model parameter count'],
    ]);
    expect('failure' in allSilent && allSilent.failure).toContain('(site-a, site-b (none stated))');
    // A majority stating a length beyond any section's bound fixes nothing either.
    const huge = { statsLength: 2 ** 31, parameterCount: 67 };
    const oversized = fixRoundLayout(
      unlisted,
      statements([
        ['site-a', huge],
        ['site-b', huge],
        ['site-c', honest],
      ]),
    );
    expect('failure' in oversized && oversized.failure).toContain('statistics length');
  });

  it('takes the spec’s lengths where it lists its features: a site stating others is excluded, one stating none is not', () => {
    const fromSpec = specRoundLengths(listed)!;

    const verdict = fixRoundLayout(
      listed,
      statements([
        ['site-a', { statsLength: 0, parameterCount: 0 }],
        ['site-b', { statsLength: fromSpec.statsLength + 3, parameterCount: fromSpec.parameterCount }],
        ['site-c', { statsLength: fromSpec.statsLength + 3, parameterCount: fromSpec.parameterCount }],
      ]),
    );

    // 1 numeric (3) + 64 buckets; logreg on 1 + 64 inputs: 65 weights + bias.
    expect(fromSpec).toEqual({ statsLength: 67, parameterCount: 66 });
    expect('excluded' in verdict && verdict.lengths).toEqual(fromSpec);
    expect('excluded' in verdict && verdict.excluded.map((e) => e.siteId)).toEqual(['site-b', 'site-c']);
  });
});
