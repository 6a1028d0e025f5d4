import { describe, expect, it } from 'vitest';
import { decodeLimbs, encodeLimbs, STATS_ENCODING } from '../../common/fl/limb-encoding.js';
import { CATEGORY_BUCKETS } from '../../common/fl/round-section-shapes.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import { categoryBucket } from './category-bucket.js';
import { dataReportFromSum, siteDataReportVector } from './data-report.js';
import { vocabularyFromSum, vocabularyVector } from './vocabulary-report.js';

const SALT = 'job-salt';

/** What the sites' vectors add up to (the encrypted sum, here in the clear: test only). */
function sumOf(vectors: readonly Float64Array[]): Float64Array {
  const sum = new Float64Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) sum[i]! += v[i]!;
  return sum;
}

/** One site's column of codes, `count` rows of each. */
function site(codes: Record<string, number>): { name: string; values: string[][] }[] {
  return [{ name: 'cp', values: [Object.entries(codes).flatMap(([code, n]) => Array(n).fill(code))] }];
}

function report(sites: Record<string, number>[], minCellSize = 5) {
  const sum = sumOf(sites.map((codes) => vocabularyVector(site(codes), SALT)));
  return vocabularyFromSum(['cp'], SALT, sum, minCellSize, sites.length)[0]!;
}

describe('codes found in a hashed column, from the sum of the sites’ vectors', () => {
  it('names each code with its total over the sites and how many sites hold it', () => {
    const found = report([
      { typical: 10, atypical: 7 },
      { typical: 5, atypical: 6, 'non-anginal': 9 },
    ]);

    expect(found).toEqual({
      name: 'cp',
      rows: 37,
      codes: [
        { code: 'typical', count: 15, sites: 2 },
        { code: 'atypical', count: 13, sites: 2 },
        { code: 'non-anginal', count: 9, sites: 1 },
      ],
      suppressed: 0,
      unresolved: 0,
      disjoint: false,
    });
  });

  it('warns when the sites use disjoint codes for the column', () => {
    const found = report([
      { typical: 10, atypical: 7 },
      { '1': 8, '2': 6 },
    ]);

    expect(found.disjoint).toBe(true);
    expect(found.codes.map((c) => [c.code, c.count, c.sites])).toEqual([
      ['typical', 10, 1],
      ['1', 8, 1],
      ['atypical', 7, 1],
      ['2', 6, 1],
    ]);
  });

  it('leaves out codes whose total is below the minimum cell size, counting them only', () => {
    const found = report(
      [
        { typical: 10, rare: 2, 'café ☕': 1 },
        { typical: 3, rare: 2 },
      ],
      5,
    );

    expect(found.codes).toEqual([{ code: 'typical', count: 13, sites: 2 }]);
    expect(found.suppressed).toBe(2);
    expect(found.rows).toBe(18);
    expect(JSON.stringify(found)).not.toContain('rare');
  });

  it('does not name codes that meet in one hashed input, nor codes over 40 bytes', () => {
    // Two codes the job's hash sends to the same model input, held by different sites.
    const first = 'code-0';
    const slot = categoryBucket('cp', first, SALT, CATEGORY_BUCKETS);
    let other = '';
    for (let i = 1; other === ''; i++)
      if (categoryBucket('cp', `code-${i}`, SALT, CATEGORY_BUCKETS) === slot) other = `code-${i}`;
    const long = 'x'.repeat(41);

    const apart = report([{ [first]: 9 }, { [other]: 8, [long]: 6 }]);
    const together = report([{ [first]: 9, [other]: 8 }]);

    expect(apart.codes).toEqual([]);
    expect(apart.unresolved).toBe(2);
    expect(apart.rows).toBe(23);
    expect(together.unresolved).toBe(1);
  });
});

describe('codes found through the limb encoding the encrypted sum uses', () => {
  it('names a long code held by 1000 sites exactly (the sums stay exact in a double)', () => {
    const code = 'ÿ'.repeat(20); // 40 bytes of UTF-8, every byte 0xc3 or 0xbf
    const sites = 1000;
    const limbs = encodeLimbs(vocabularyVector(site({ [code]: 3 }), SALT), STATS_ENCODING);
    // Every site's limbs added slot by slot, as the HE sum does (no wrap below t/2).
    const sum = limbs.map((limb) => limb * BigInt(sites));

    const found = vocabularyFromSum(['cp'], SALT, decodeLimbs(sum, STATS_ENCODING), 5, sites)[0]!;

    expect(found.codes).toEqual([{ code, count: 3 * sites, sites }]);
    expect(found.unresolved).toBe(0);
  });
});

describe('the round-0 data report of a short job', () => {
  const spec = parseJobSpec({
    model: { kind: 'logreg' },
    rounds: 1,
    data: { label: 'event', categorical: ['cp'] },
  }).spec;

  it('uses the largest of the contributing sites’ minimum cell sizes', () => {
    const tables = [
      { categorical: { cp: Array(12).fill('a') } },
      { categorical: { cp: Array(8).fill('b') } },
    ];
    const vectors = [
      siteDataReportVector(spec.data, SALT, [tables[0]!], [], 5)!,
      siteDataReportVector(spec.data, SALT, [tables[1]!], [], 10)!,
    ];

    const found = dataReportFromSum(spec.data, SALT, sumOf(vectors), 2);

    expect(found.minCellSize).toBe(10);
    expect(found.sites).toBe(2);
    expect(found.vocabulary![0]!.codes).toEqual([{ code: 'a', count: 12, sites: 1 }]);
    expect(found.vocabulary![0]!.suppressed).toBe(1);
  });

  it('refuses a minimum cell size outside 1..100', () => {
    expect(() => siteDataReportVector(spec.data, SALT, [], [], 0)).toThrow(/1\.\.100/);
    expect(() => siteDataReportVector(spec.data, SALT, [], [], 101)).toThrow(/1\.\.100/);
  });
});
