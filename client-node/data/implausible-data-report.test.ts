import { describe, expect, it } from 'vitest';
import { VOCABULARY_SLOT_VALUES } from '../../common/fl/data-report-layout.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import { siteDataReportVector } from './data-report.js';
import { implausibleDataReport } from './implausible-data-report.js';

const SALT = 'salt';
const { data } = parseJobSpec({
  model: { kind: 'logreg' },
  rounds: 1,
  data: {
    label: 'y',
    categorical: ['cp'],
    features: [
      'cp',
      { name: 'smoker', type: 'binary' },
      { name: 'chol', type: 'numeric', unit: 'mg/dL', range: [80, 700] },
    ],
  },
}).spec;

/** One honest site: its codes in 'cp', and its findings for the declared features. */
function site(codes: string[], minCellSize = 5): Float64Array {
  const rows = codes.length;
  const findings = [
    {
      name: 'smoker',
      type: 'binary' as const,
      rows,
      outOfRange: 0,
      outOfVocabulary: 1,
      codeCounts: [rows - 1, 0],
    },
    { name: 'chol', type: 'numeric' as const, rows, outOfRange: 2, outOfVocabulary: 0, codeCounts: [] },
  ];
  return siteDataReportVector(data, SALT, [{ categorical: { cp: codes } }], findings, minCellSize)!;
}

const add = (...vectors: Float64Array[]) => vectors.reduce((a, b) => a.map((v, i) => v + b[i]!));

describe('implausibleDataReport', () => {
  it('accepts what honest sites sum to, and any subset of them (blame probes)', () => {
    const sites = [site(['a', 'a', 'b']), site(['c', 'a', 'd', 'd'], 9), site(['a', 'b', 'b'], 20)];

    expect(implausibleDataReport(add(...sites), data, 3)).toEqual([]);
    expect(implausibleDataReport(add(sites[0]!, sites[2]!), data, 2)).toEqual([]);
  });

  it('refuses sums no set of honest sites produces, naming the part, never a value', () => {
    const honest = add(site(['a', 'a', 'b']), site(['c', 'a', 'd']));
    const spoil = (at: number, delta: number) => honest.map((v, i) => (i === at ? v + delta : v));
    // Layout: 100 minimum-cell slots, smoker [rows, outside, no, yes], chol [rows, outside], then cp's slots.
    const codeSlots = 100 + 4 + 2;
    let firstCodeSlot = codeSlots;
    while (honest[firstCodeSlot] === 0) firstCodeSlot += VOCABULARY_SLOT_VALUES;

    expect(implausibleDataReport(spoil(4, 1), data, 2)).toEqual([
      'data report: the minimum cell sizes stated are not one per each of 2 sites',
    ]);
    expect(implausibleDataReport(spoil(101, 99), data, 2)).toEqual([
      "data report, feature 'smoker': more values counted than rows",
    ]);
    expect(implausibleDataReport(spoil(100 + 4, -100), data, 2)).toEqual([
      "data report, feature 'chol': counts are not whole and non-negative",
    ]);
    expect(implausibleDataReport(spoil(firstCodeSlot + 1, 3), data, 2)).toEqual([
      "data report, column 'cp': code slots no set of sites can sum to",
    ]);
    expect(implausibleDataReport(honest.subarray(1), data, 2)).toEqual([
      `data report has ${honest.length - 1} entries, the job needs ${honest.length}`,
    ]);
  });
});
