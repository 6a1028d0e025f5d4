import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeflError } from '../common/errors/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { loadSiteDataset } from './site-dataset.js';

const spec = parseJobSpec({ model: { kind: 'logreg' }, rounds: 1, data: { label: 'y' }, seed: 7 }).spec;

/** 12 rows: x = 1..12, y alternating; `split(i)` gives row i's split cell. */
function csv(split?: (i: number) => string): string {
  const header = split ? 'x,split,y' : 'x,y';
  const rows = Array.from({ length: 12 }, (_, k) => {
    const i = k + 1;
    return split ? `${i},${split(i)},${i % 2}` : `${i},${i % 2}`;
  });
  return `${[header, ...rows].join('\n')}\n`;
}

function write(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hefl-split-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const xs = (t: { numeric: Readonly<Record<string, Float64Array>> }) => Array.from(t.numeric.x!);

describe('fixed train/test split', () => {
  it('a split column decides the held-out rows and never becomes a feature', async () => {
    const path = write(
      'site.csv',
      csv((i) => (i === 3 || i === 8 || i === 11 ? 'test' : 'train')),
    );

    const dataset = await loadSiteDataset({ path, splitColumn: 'split' }, spec);

    expect(xs(dataset.test)).toEqual([3, 8, 11]);
    expect(xs(dataset.train)).toEqual([1, 2, 4, 5, 6, 7, 9, 10, 12]);
    expect(dataset.train.featureColumns.map((c) => c.name)).toEqual(['x']);
    expect(dataset.report.split).toEqual({ kind: 'column', column: 'split' });
  });

  it('the fixed split does not move with the job seed (the seeded split does)', async () => {
    const path = write(
      'site.csv',
      csv((i) => (i <= 4 ? 'test' : 'train')),
    );
    const plain = write('plain.csv', csv());
    const other = parseJobSpec({ ...spec, seed: 8 }).spec;

    const fixed = [spec, other].map((s) => loadSiteDataset({ path, splitColumn: 'split' }, s));
    const seeded = [spec, other].map((s) => loadSiteDataset({ path: plain }, s));

    const [a, b] = await Promise.all(fixed);
    expect(xs(a!.test)).toEqual([1, 2, 3, 4]);
    expect(xs(b!.test)).toEqual([1, 2, 3, 4]);
    const [c, d] = await Promise.all(seeded);
    expect(c!.report.split).toEqual({ kind: 'seeded', testFraction: 0.34, seed: 7 });
    expect(xs(c!.test)).not.toEqual(xs(d!.test));
  });

  it('a value other than train/test is refused, naming how many rows, the first line and the value', async () => {
    const path = write(
      'bad.csv',
      csv((i) => (i === 5 ? 'validation' : i === 9 ? 'Test' : 'train')),
    );

    const load = loadSiteDataset({ path, splitColumn: 'split' }, spec);

    await expect(load).rejects.toThrow(
      "bad.csv: split column 'split': 2 of 12 rows hold neither train nor test (first: line 6, value 'validation')",
    );
    await expect(load).rejects.toSatisfy((e) => HeflError.is(e, 'invalid_data'));
  });

  it('a missing split column and a split leaving no test rows are refused', async () => {
    const path = write(
      'site.csv',
      csv(() => 'train'),
    );

    await expect(loadSiteDataset({ path, splitColumn: 'fold' }, spec)).rejects.toThrow(
      "site.csv: no split column 'fold'",
    );
    await expect(loadSiteDataset({ path, splitColumn: 'split' }, spec)).rejects.toThrow(
      "split column 'split' leaves 12 train and 0 test rows",
    );
  });

  it('a separate test file is the held-out set, read with the same job rules', async () => {
    const path = write('train.csv', csv());
    const testPath = write('test.csv', 'x,y\n100,1\n200,0\n?,1\n');

    const dataset = await loadSiteDataset({ path, testPath }, spec);

    expect(xs(dataset.train)).toHaveLength(12);
    expect(xs(dataset.test)).toEqual([100, 200]);
    expect(dataset.report.split).toEqual({ kind: 'file', file: 'test.csv' });
    expect(dataset.report).toMatchObject({ rowsRead: 15, rowsKept: 14, rowsDropped: 1 });
  });

  it('a test file with other columns, or both options at once, is refused', async () => {
    const path = write('train.csv', csv());
    const testPath = write('test.csv', 'x,z,y\n1,2,1\n');

    await expect(loadSiteDataset({ path, testPath }, spec)).rejects.toThrow(
      'test.csv: the test file gives other feature columns (or kinds) than the data file',
    );
    await expect(loadSiteDataset({ path, testPath, splitColumn: 'split' }, spec)).rejects.toThrow(
      'give a split column or a test file, not both',
    );
  });
});
