import { describe, expect, it } from 'vitest';
import type { SiteTable } from './csv-table.js';
import { FeaturePipeline } from './feature-pipeline.js';
import { computeLocalStats } from './feature-stats.js';
import { parseCsv } from './parse-csv.js';
import { stratifiedSplit } from './stratified-split.js';
import {
  generateSyntheticHospitals,
  SYNTHETIC_CATEGORICAL,
  SYNTHETIC_COLUMNS,
  SYNTHETIC_LABEL,
} from './synthetic-hospitals.js';

function loadSites(sites: number, seed: number): SiteTable[] {
  return generateSyntheticHospitals({ sites, seed }).map(
    (site) =>
      parseCsv(site.csv, `${site.name}.csv`, { label: SYNTHETIC_LABEL, categorical: SYNTHETIC_CATEGORICAL })
        .table,
  );
}

/** Plain full-batch gradient descent on the logistic loss; returns test accuracy. */
function logisticAccuracy(
  train: { x: Float32Array; y: Float32Array; rows: number; cols: number },
  test: { x: Float32Array; y: Float32Array; rows: number; cols: number },
): number {
  const w = new Float64Array(train.cols);
  let b = 0;
  for (let epoch = 0; epoch < 400; epoch++) {
    const gw = new Float64Array(train.cols);
    let gb = 0;
    for (let r = 0; r < train.rows; r++) {
      let z = b;
      for (let c = 0; c < train.cols; c++) z += w[c]! * train.x[r * train.cols + c]!;
      const err = 1 / (1 + Math.exp(-z)) - train.y[r]!;
      for (let c = 0; c < train.cols; c++) gw[c]! += err * train.x[r * train.cols + c]!;
      gb += err;
    }
    for (let c = 0; c < train.cols; c++) w[c]! -= (0.5 * gw[c]!) / train.rows;
    b -= (0.5 * gb) / train.rows;
  }
  let correct = 0;
  for (let r = 0; r < test.rows; r++) {
    let z = b;
    for (let c = 0; c < test.cols; c++) z += w[c]! * test.x[r * test.cols + c]!;
    if ((z > 0 ? 1 : 0) === test.y[r]) correct++;
  }
  return correct / test.rows;
}

function subset(
  data: { x: Float32Array; y: Float32Array; cols: number },
  rows: Uint32Array,
): { x: Float32Array; y: Float32Array; rows: number; cols: number } {
  const x = new Float32Array(rows.length * data.cols);
  rows.forEach((row, i) => {
    x.set(data.x.subarray(row * data.cols, (row + 1) * data.cols), i * data.cols);
  });
  return { x, y: Float32Array.from(rows, (row) => data.y[row]!), rows: rows.length, cols: data.cols };
}

describe('generateSyntheticHospitals', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const a = generateSyntheticHospitals({ sites: 3, seed: 1 });
    const b = generateSyntheticHospitals({ sites: 3, seed: 1 });
    const c = generateSyntheticHospitals({ sites: 3, seed: 2 });

    expect(b).toEqual(a);
    expect(c[0]!.csv).not.toEqual(a[0]!.csv);
  });

  it('writes the documented header and a few NA cells that the drop-row rule removes', () => {
    const [site] = generateSyntheticHospitals({ sites: 1, seed: 4 });

    const { table, report } = parseCsv(site!.csv, 'site-1.csv', {
      label: SYNTHETIC_LABEL,
      categorical: SYNTHETIC_CATEGORICAL,
    });

    expect(site!.csv.split('\n')[0]).toBe(SYNTHETIC_COLUMNS.join(','));
    expect(report.rowsRead).toBe(site!.rows);
    expect(report.rowsDropped).toBeGreaterThanOrEqual(1);
    expect(report.rowsDropped).toBeLessThanOrEqual(5);
    expect(table.featureColumns.find((c) => c.name === 'chest_pain')?.kind).toBe('categorical');
  });

  it('makes sites non-IID: sizes 150..450, different event rates and age mix', () => {
    const sites = generateSyntheticHospitals({ sites: 8, seed: 7 });
    const tables = loadSites(8, 7);

    const sizes = sites.map((s) => s.rows);
    const rates = sites.map((s) => s.positiveRate);
    const meanAges = tables.map((t) => t.numeric.age!.reduce((s, v) => s + v, 0) / t.rows);

    for (const size of sizes) expect(size).toBeGreaterThanOrEqual(150);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(450);
    for (const rate of rates) expect(rate).toBeGreaterThan(0.15);
    for (const rate of rates) expect(rate).toBeLessThan(0.7);
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThan(0.12);
    expect(Math.max(...meanAges) - Math.min(...meanAges)).toBeGreaterThan(5);
  });

  it('honours rowsPerSite and rejects a wrong-length list', () => {
    const sites = generateSyntheticHospitals({ sites: 2, seed: 3, rowsPerSite: [40, 60] });

    expect(sites.map((s) => s.rows)).toEqual([40, 60]);
    expect(() => generateSyntheticHospitals({ sites: 2, seed: 3, rowsPerSite: [40] })).toThrow(
      /one entry per site/,
    );
  });

  it('is learnable: pooled logistic regression reaches about 0.75-0.85 test accuracy', () => {
    const tables = loadSites(4, 11);
    const schema = tables[0]!.featureColumns;
    const options = { salt: 'job-1', buckets: 16 };
    const global = new Float64Array(computeLocalStats(tables[0]!, schema, options).length);
    for (const t of tables)
      computeLocalStats(t, schema, options).forEach((v, i) => {
        global[i]! += v;
      });
    const pipeline = FeaturePipeline.fromGlobalStats(schema, global, options);
    const accuracies: number[] = [];

    for (const seed of [1, 2, 3]) {
      const parts = tables.map((t) => {
        const data = pipeline.transform(t);
        const split = stratifiedSplit(t.labels, 0.34, seed);
        return { train: subset(data, split.train), test: subset(data, split.test) };
      });
      const concat = (key: 'train' | 'test') => {
        const rows = parts.reduce((s, p) => s + p[key].rows, 0);
        const x = new Float32Array(rows * pipeline.cols);
        const y = new Float32Array(rows);
        let at = 0;
        for (const p of parts) {
          x.set(p[key].x, at * pipeline.cols);
          y.set(p[key].y, at);
          at += p[key].rows;
        }
        return { x, y, rows, cols: pipeline.cols };
      };
      accuracies.push(logisticAccuracy(concat('train'), concat('test')));
    }

    const mean = accuracies.reduce((s, v) => s + v, 0) / accuracies.length;
    expect(mean).toBeGreaterThan(0.72);
    expect(mean).toBeLessThan(0.88);
  });
});
