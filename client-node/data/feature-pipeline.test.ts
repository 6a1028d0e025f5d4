import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { categoryBucket } from './category-bucket.js';
import type { ColumnSpec, SiteTable } from './csv-table.js';
import { FeaturePipeline } from './feature-pipeline.js';
import { computeLocalStats } from './feature-stats.js';
import { parseCsv } from './parse-csv.js';

const SCHEMA: ColumnSpec[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'cp', kind: 'categorical' },
];
const CATEGORIES = ['typical', 'atypical', 'non-anginal', 'asymptomatic'];

/** A salt under which the test categories land in distinct buckets, so slots are unambiguous. */
function collisionFreeSalt(buckets: number): string {
  for (let i = 0; ; i++) {
    const salt = `job-${i}`;
    if (new Set(CATEGORIES.map((v) => categoryBucket('cp', v, salt, buckets))).size === CATEGORIES.length)
      return salt;
  }
}

const OPTIONS = { salt: collisionFreeSalt(32), buckets: 32 };

function site(text: string): SiteTable {
  return parseCsv(text, 'site.csv', { label: 'num', categorical: ['cp'] }).table;
}

function pipelineOver(tables: SiteTable[], minCategoryCount = 1): FeaturePipeline {
  const sum = new Float64Array(computeLocalStats(tables[0]!, SCHEMA, OPTIONS).length);
  for (const t of tables)
    computeLocalStats(t, SCHEMA, OPTIONS).forEach((v, i) => {
      sum[i]! += v;
    });
  return FeaturePipeline.fromGlobalStats(SCHEMA, sum, { ...OPTIONS, minCategoryCount });
}

describe('FeaturePipeline', () => {
  const siteA = site('age,cp,num\n40,typical,0\n60,asymptomatic,1\n');
  const siteB = site('age,cp,num\n50,asymptomatic,1\n70,asymptomatic,1\n30,atypical,0\n');

  it('z-scores numeric columns with the global (pooled) mean and std', () => {
    const pipeline = pipelineOver([siteA, siteB]);

    const out = pipeline.transform(siteA);

    const std = Math.sqrt(200);
    expect(pipeline.numeric[0]).toEqual({ name: 'age', mean: 50, std });
    expect(out.x[0]).toBeCloseTo(-10 / std, 6);
    expect(out.x[out.cols]).toBeCloseTo(10 / std, 6);
  });

  it('one-hot encodes over every bucket in bucket order (a fixed width), the same at every site', () => {
    const pipeline = pipelineOver([siteA, siteB]);
    const seen = ['typical', 'asymptomatic', 'atypical']
      .map((v) => categoryBucket('cp', v, OPTIONS.salt, OPTIONS.buckets))
      .sort((a, b) => a - b);

    const out = pipeline.transform(siteB);

    // The width follows from the schema alone (1 + 32 buckets): only seen buckets are ever set.
    expect(pipeline.featureNames).toEqual(['age', ...Array.from({ length: 32 }, (_, b) => `cp#${b}`)]);
    expect(pipeline.categorical[0]!.buckets).toEqual(seen);
    expect(out.cols).toBe(33);
    const asymptomatic = categoryBucket('cp', 'asymptomatic', OPTIONS.salt, OPTIONS.buckets);
    const rowOf = (r: number) => [...out.x.subarray(r * 33 + 1, r * 33 + 33)];
    expect(rowOf(0)).toEqual(Array.from({ length: 32 }, (_, b) => (b === asymptomatic ? 1 : 0)));
    expect([...out.y]).toEqual([1, 1, 0]);
  });

  it('maps unseen and rare categories to all zeros', () => {
    const pipeline = pipelineOver([siteA, siteB], 2);
    const unseen = site('age,cp,num\n55,non-anginal,1\n45,typical,0\n');

    const out = pipeline.transform(unseen);

    expect(pipeline.cols).toBe(33);
    expect(pipeline.categorical[0]!.buckets).toEqual([
      categoryBucket('cp', 'asymptomatic', OPTIONS.salt, OPTIONS.buckets),
    ]);
    expect(out.x.subarray(1, 33).every((v) => v === 0)).toBe(true);
    expect(out.x.subarray(34, 66).every((v) => v === 0)).toBe(true);
  });

  it('floors the std so a constant column does not divide by zero', () => {
    const constant = site('age,cp,num\n50,typical,0\n50,typical,1\n');

    const out = pipelineOver([constant]).transform(constant);

    expect(out.x[0]).toBe(0);
    expect(Number.isFinite(out.x[0]!)).toBe(true);
  });

  it('refuses a statistics vector of the wrong length or with a zero count', () => {
    const wrongLength = () => FeaturePipeline.fromGlobalStats(SCHEMA, new Float64Array(5), OPTIONS);
    const zeroCount = () => FeaturePipeline.fromGlobalStats(SCHEMA, new Float64Array(35), OPTIONS);

    expect(wrongLength).toThrow('global statistics have 5 entries, the schema needs 35');
    expect(zeroCount).toThrow("column 'age': global count is zero");
  });

  it('is frozen', () => {
    const pipeline = pipelineOver([siteA]);

    expect(Object.isFrozen(pipeline)).toBe(true);
    expect(() => (pipeline.featureNames as string[]).push('x')).toThrow(TypeError);
  });

  it('refuses a table that lacks a schema column', () => {
    const other = parseCsv('bmi,num\n20,0\n', 'other.csv', { label: 'num' }).table;

    const error = (() => {
      try {
        pipelineOver([siteA]).transform(other);
      } catch (e) {
        return e;
      }
    })();

    expect(HeflError.is(error, 'invalid_data')).toBe(true);
  });
});
