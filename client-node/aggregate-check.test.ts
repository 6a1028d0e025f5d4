import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CiphertextAdder } from '../common/he/ciphertext-adder.js';
import type { CiphertextBatch } from '../common/he/ciphertext-batch.js';
import { getProfile } from '../common/he/he-profile.js';
import { SiteCipher } from '../common/he/site-cipher.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import type { Section } from '../common/protocol/section-framing.js';
import { checkAggregate, implausibleStatistics } from './aggregate-check.js';
import { siteDataReportVector } from './data/data-report.js';
import { type ColumnSpec, statsLayout } from './data/index.js';
import { exactSection } from './round-sections.js';

const PROFILE = getProfile('bgv-n2048-q54-t38/v1');
const QUANTIZER = { clipRange: 1, maxSites: 10 };
const SCHEMA: ColumnSpec[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'ecg', kind: 'categorical' },
];

describe('checkAggregate (real node-seal, default profile)', () => {
  let jobKey: SiteCipher;
  let otherKey: SiteCipher;
  let adder: CiphertextAdder;
  beforeAll(async () => {
    jobKey = await SiteCipher.generate(PROFILE, QUANTIZER);
    otherKey = await SiteCipher.generate(PROFILE, QUANTIZER);
    adder = await CiphertextAdder.create(PROFILE);
  });
  afterAll(() => {
    jobKey.delete();
    otherKey.delete();
    adder.delete();
  });

  const sum = (batches: CiphertextBatch[]): CiphertextBatch => {
    const s = adder.startSum(batches[0]!.valueCount);
    for (const b of batches) s.add(b);
    const result = s.result();
    s.delete();
    return result;
  };
  /** An update at the clip range's edge in every slot: the largest an honest input can be. */
  const extremeUpdate = (cipher: SiteCipher, sign: number) =>
    cipher.encrypt(Float64Array.from({ length: 17 }, (_, i) => sign * (i % 2 ? 1 : -1) * 5)).batch;
  const stats = (cipher: SiteCipher, rows: number[]) =>
    exactSection(cipher, 'stats', [
      rows.length,
      rows.reduce((a, b) => a + b, 0),
      rows.reduce((a, b) => a + b * b, 0),
      ...Array.from({ length: 64 }, (_, b) => (b === 3 ? rows.length : 0)),
    ]).batch;

  it('accepts honest sums, even with every value at the clip range, and plausible round-0 statistics', () => {
    const update: Section = {
      name: 'update',
      batch: sum([extremeUpdate(jobKey, 1), extremeUpdate(jobKey, 1), extremeUpdate(jobKey, 1)]),
    };
    const round0: Section = {
      name: 'stats',
      batch: sum([stats(jobKey, [50, 61]), stats(jobKey, [70]), stats(jobKey, [33, 44, 90])]),
    };

    expect(checkAggregate(jobKey, [update], 3)).toEqual([]);
    expect(checkAggregate(jobKey, [round0], 3, SCHEMA)).toEqual([]);
  });

  it('refuses a sum holding one ciphertext under another key (non-zero padding, values out of bound)', () => {
    const update: Section = {
      name: 'update',
      batch: sum([extremeUpdate(jobKey, 1), extremeUpdate(otherKey, 1), extremeUpdate(jobKey, -1)]),
    };
    const round0: Section = {
      name: 'stats',
      batch: sum([stats(jobKey, [50]), stats(otherKey, [70]), stats(jobKey, [33])]),
    };

    const updateProblems = checkAggregate(jobKey, [update], 3);
    const statsProblems = checkAggregate(jobKey, [round0], 3, SCHEMA);

    expect(updateProblems.join('; ')).toMatch(/section update: \d+ padding slot\(s\) not zero/);
    expect(statsProblems.join('; ')).toMatch(/section stats: \d+ padding slot\(s\) not zero/);
    expect(statsProblems.join('; ')).toMatch(/section stats: \d+ value\(s\) beyond/);
  });

  it('checks the round-0 data report too: a site stating two minimum cell sizes spoils it', () => {
    const { data } = parseJobSpec({
      model: { kind: 'logreg' },
      rounds: 1,
      data: { label: 'y', categorical: ['ecg'] },
    }).spec;
    const vector = (codes: string[]) =>
      siteDataReportVector(data, 'salt', [{ categorical: { ecg: codes } }], [], 5)!;
    const spoiled = vector(['b']);
    spoiled[9] = 1;
    const report = (last: Float64Array): Section => ({
      name: 'datareport',
      batch: sum([
        exactSection(jobKey, 'datareport', vector(['a', 'a'])).batch,
        exactSection(jobKey, 'datareport', last).batch,
      ]),
    });

    expect(checkAggregate(jobKey, [report(vector(['b', 'a']))], 2, undefined, data)).toEqual([]);
    expect(checkAggregate(jobKey, [report(spoiled)], 2, undefined, data)).toEqual([
      'data report: the minimum cell sizes stated are not one per each of 2 sites',
    ]);
  });

  it('refuses values more contributors than the round had could only reach', () => {
    const update: Section = {
      name: 'update',
      batch: sum([extremeUpdate(jobKey, 1), extremeUpdate(jobKey, 1), extremeUpdate(jobKey, 1)]),
    };

    expect(checkAggregate(jobKey, [update], 2)).toEqual([
      'section update: 17 value(s) beyond what 2 honest inputs can sum to',
    ]);
  });
});

describe('implausibleStatistics', () => {
  const vector = (count: number, sum: number, squares: number, bucket = 1) =>
    Float64Array.from([count, sum, squares, ...Array.from({ length: 64 }, (_, b) => (b === 0 ? bucket : 0))]);

  it('accepts statistics real rows produce', () => {
    expect(implausibleStatistics(vector(3, 6, 14), SCHEMA)).toEqual([]);
  });

  it('reads a declared vocabulary as its own slots, not 64 buckets (the numeric column after it is not a count)', () => {
    const schema: ColumnSpec[] = [
      { name: 'cp', kind: 'categorical', vocabulary: ['1', '2', '3', '4'] },
      { name: 'oldpeak', kind: 'numeric' },
    ];
    const layout = statsLayout(schema);
    const values = new Float64Array(layout.length);
    layout.categorical[0]!.vocabulary!.forEach((_, i) => {
      values[layout.categorical[0]!.offset + i] = i + 1;
    });
    const at = layout.numeric[0]!.offset;
    values.set([4, 2.5, 3.75], at);
    expect(implausibleStatistics(values, schema)).toEqual([]);
  });

  it.each([
    { what: 'a fractional count', v: vector(2.5, 6, 14), problem: /count is not a non-negative integer/ },
    { what: 'a negative count', v: vector(-3, 6, 14), problem: /count is not a non-negative integer/ },
    { what: 'negative squares', v: vector(3, 6, -14), problem: /sum of squares is negative/ },
    { what: 'squares below sum^2/n', v: vector(3, 6, 11), problem: /sum of squares too small/ },
    { what: 'a negative category count', v: vector(3, 6, 14, -1), problem: /category count/ },
  ])('refuses $what, naming the column', ({ v, problem }) => {
    expect(implausibleStatistics(v, SCHEMA).join('; ')).toMatch(problem);
  });
});
