import { describe, expect, it } from 'vitest';
import { categoryBucket } from './category-bucket.js';
import type { ColumnSpec } from './csv-table.js';
import { computeLocalStats, statsLayout } from './feature-stats.js';
import { parseCsv } from './parse-csv.js';

const SCHEMA: ColumnSpec[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'cp', kind: 'categorical' },
  { name: 'chol', kind: 'numeric' },
];

function table(text: string) {
  return parseCsv(text, 'site.csv', { label: 'num', categorical: ['cp'] }).table;
}

describe('statsLayout', () => {
  it('gives 3 slots per numeric column and B per categorical column, in schema order', () => {
    const layout = statsLayout(SCHEMA, 8);

    expect(layout.length).toBe(3 + 8 + 3);
    expect(layout.numeric).toEqual([
      { name: 'age', offset: 0 },
      { name: 'chol', offset: 11 },
    ]);
    expect(layout.categorical).toEqual([{ name: 'cp', offset: 3 }]);
  });

  it('defaults to 64 buckets and refuses a bad bucket count', () => {
    expect(statsLayout(SCHEMA).length).toBe(70);
    expect(() => statsLayout(SCHEMA, 0)).toThrow(/buckets/);
  });
});

describe('categoryBucket', () => {
  it('is stable, in range, and depends on the salt', () => {
    const buckets = Array.from({ length: 50 }, (_, i) => categoryBucket('cp', `v${i}`, 'salt-a', 16));

    const again = Array.from({ length: 50 }, (_, i) => categoryBucket('cp', `v${i}`, 'salt-a', 16));
    const otherSalt = Array.from({ length: 50 }, (_, i) => categoryBucket('cp', `v${i}`, 'salt-b', 16));

    expect(again).toEqual(buckets);
    expect(otherSalt).not.toEqual(buckets);
    for (const b of buckets) expect(b >= 0 && b < 16).toBe(true);
  });
});

describe('computeLocalStats', () => {
  it('puts count, sum and sum of squares for numeric and bucket counts for categorical columns', () => {
    const local = table('age,cp,chol,num\n60,typical,200,0\n40,typical,300,1\n50,atypical,250,0\n');
    const options = { salt: 'job', buckets: 8 };

    const stats = computeLocalStats(local, SCHEMA, options);

    expect([...stats.subarray(0, 3)]).toEqual([3, 150, 3600 + 1600 + 2500]);
    expect([...stats.subarray(11, 14)]).toEqual([3, 750, 40000 + 90000 + 62500]);
    const counts = stats.subarray(3, 11);
    expect(counts[categoryBucket('cp', 'typical', 'job', 8)]).toBeGreaterThanOrEqual(2);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(3);
  });

  it('refuses a table whose column kind differs from the job schema', () => {
    const local = parseCsv('age,cp,chol,num\n60,1,200,0\n', 'site.csv', { label: 'num' }).table;

    expect(() => computeLocalStats(local, SCHEMA, { salt: 'job' })).toThrow(
      "site.csv: column 'cp' is numeric here but categorical in the job schema",
    );
  });
});
