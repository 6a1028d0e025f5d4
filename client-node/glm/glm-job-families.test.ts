import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatGlmReport } from '../../cli/job/format-glm-report.js';
import { CATEGORY_BUCKETS } from '../../common/fl/round-section-shapes.js';
import { CiphertextAdder } from '../../common/he/ciphertext-adder.js';
import { getProfile } from '../../common/he/he-profile.js';
import { SiteCipher } from '../../common/he/site-cipher.js';
import { parseModelSpec } from '../../common/job/model-spec.js';
import type { GlmReport } from '../../common/protocol/sealed-glm-report.js';
import { createSeededRandom } from '../../common/random/seeded-random.js';
import { pooledIrls } from '../../test/support/pooled-irls.js';
import { categoryBucket } from '../data/category-bucket.js';
import type { ColumnSpec, SiteTable } from '../data/csv-table.js';
import { FeaturePipeline } from '../data/feature-pipeline.js';
import { computeLocalStats } from '../data/feature-stats.js';
import { parseCsv } from '../data/parse-csv.js';
import { GlmJob } from './glm-job.js';

const PROFILE = getProfile('bgv-n2048-q54-t38/v1');
const SCHEMA: ColumnSpec[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'grp', kind: 'categorical' },
];
const OPTIONS = { salt: 'glm-families-test' };
const GROUPS = ['a', 'b', 'c'];

/** A site's CSV: age, a 3-level group, and a count (poisson) or a measurement (gaussian) label. */
function siteCsv(rows: number, seed: number, family: 'gaussian' | 'poisson'): string {
  const random = createSeededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const lines = ['age,grp,y'];
  for (let r = 0; r < rows; r++) {
    const age = Math.round(40 + 15 * random.next());
    const g = Math.floor(random.next() * 3);
    const eta =
      family === 'poisson' ? -1 + 0.03 * age + [0, 0.4, -0.3][g]! : 2 + 0.1 * age + [0, 1, -0.5][g]!;
    let y: number;
    if (family === 'poisson') {
      const limit = Math.exp(-Math.exp(eta));
      let k = 0;
      for (let prod = random.next(); prod > limit; prod *= random.next()) k++;
      y = k;
    } else y = Math.round((eta + 1.5 * gauss()) * 100) / 100;
    lines.push(`${age},${GROUPS[g]},${y}`);
  }
  return lines.join('\n');
}

/**
 * The groups by hashed bucket (the pipeline's one-hot order): the first is the reference
 * level, the others are the design's columns `grp#bucket`.
 */
function groupOrder(): { group: string; bucket: number }[] {
  return GROUPS.map((group) => ({
    group,
    bucket: categoryBucket('grp', group, OPTIONS.salt, CATEGORY_BUCKETS),
  })).sort((a, b) => a.bucket - b.bucket);
}

/** Pooled records read straight from the CSV text, the first group by bucket as reference. */
function pooledRows(csvs: string[]): { x: number[][]; y: number[]; names: string[] } {
  const [, ...others] = groupOrder();
  const x: number[][] = [];
  const y: number[] = [];
  for (const csv of csvs)
    for (const line of csv.split('\n').slice(1)) {
      const [age, grp, label] = line.split(',');
      x.push([1, Number(age), ...others.map((o) => (grp === o.group ? 1 : 0))]);
      y.push(Number(label));
    }
  return { x, y, names: ['(Intercept)', 'age', ...others.map((o) => `grp#${o.bucket}`)] };
}

describe('gaussian and poisson GLM jobs from CSV labels, over real node-seal sums', () => {
  let adder: CiphertextAdder;
  let cipher: SiteCipher;
  beforeAll(async () => {
    adder = await CiphertextAdder.create(PROFILE);
    cipher = await SiteCipher.generate(PROFILE, { clipRange: 1, maxSites: 16 });
  });
  afterAll(() => {
    adder.delete();
    cipher.delete();
  });

  function runJob(csvs: string[], model: unknown): GlmReport {
    const spec = parseModelSpec(model);
    if (spec.kind !== 'glm') throw new Error('not a glm spec');
    // nonzero-positive is the job's label rule: the class is y > 0, the value is kept too.
    const tables: SiteTable[] = csvs.map(
      (csv, i) => parseCsv(csv, `site${i}.csv`, { label: 'y', categorical: ['grp'] }).table,
    );
    const local = tables.map((t) => computeLocalStats(t, SCHEMA, OPTIONS));
    const total = local[0]!.map((_, k) => local.reduce((a, s) => a + s[k]!, 0));
    const pipeline = FeaturePipeline.fromGlobalStats(SCHEMA, total, OPTIONS);
    const jobs = tables.map((table) => {
      const job = new GlmJob(spec, 20);
      job.prepare(pipeline, [table]);
      return job;
    });
    for (let iteration = 1; iteration <= 20; iteration++) {
      const sections = jobs.map((job) => job.section(cipher));
      const total = adder.startSum(sections[0]!.batch.valueCount);
      for (const s of sections) total.add(s.batch);
      const aggregate = { name: sections[0]!.name, batch: total.result() };
      total.delete();
      const reports = jobs.map((job) => job.apply(cipher, [aggregate], jobs.length, iteration));
      expect(reports.every((r) => JSON.stringify(r) === JSON.stringify(reports[0]))).toBe(true);
      if (reports[0]!.result || reports[0]!.error) return reports[0]!;
    }
    throw new Error('no result in 20 iterations');
  }

  function expectTable(report: GlmReport, pooled: { beta: number[]; se: number[] }, names: string[]) {
    expect(report.error).toBeNull();
    const rows = report.result!.coefficients;
    expect(rows.map((r) => r.feature)).toEqual(names);
    rows.forEach((row, j) => {
      expect(Math.abs(row.estimate - pooled.beta[j]!)).toBeLessThanOrEqual(1e-6 * Math.abs(pooled.beta[j]!));
      expect(Math.abs(row.standardError - pooled.se[j]!)).toBeLessThanOrEqual(1e-6 * pooled.se[j]!);
    });
  }

  it('poisson: the fit on the label counts equals a pooled IRLS, with rate ratios in the table', () => {
    const csvs = [70, 95, 60].map((rows, i) => siteCsv(rows, 40 + i, 'poisson'));
    const data = pooledRows(csvs);
    const pooled = pooledIrls(data, 'poisson');

    const report = runJob(csvs, { kind: 'glm', family: 'poisson' });

    expectTable(report, pooled, data.names);
    expect(report.result!.dispersion).toBe(1);
    const lines = formatGlmReport(report);
    expect(lines[1]).toMatch(/rate ratio$/);
    const age = report.result!.coefficients.find((c) => c.feature === 'age')!;
    expect(Math.abs(age.ratio! - Math.exp(pooled.beta[1]!))).toBeLessThanOrEqual(1e-6 * age.ratio!);
  });

  it('gaussian: the fit on the label values equals pooled least squares, with the dispersion stated', () => {
    const csvs = [50, 80, 65].map((rows, i) => siteCsv(rows, 60 + i, 'gaussian'));
    const data = pooledRows(csvs);
    const pooled = pooledIrls(data, 'gaussian');

    const report = runJob(csvs, { kind: 'glm', family: 'gaussian' });

    expectTable(report, pooled, data.names);
    const rss = pooled.deviance;
    const dispersion = rss / (data.y.length - 4);
    expect(Math.abs(report.result!.dispersion - dispersion)).toBeLessThanOrEqual(1e-6 * dispersion);
    const lines = formatGlmReport(report);
    expect(lines[0]).toMatch(/GLM \(gaussian\).*dispersion \d+\.\d+ \(RSS \/ \(n - p\)\)/);
    expect(lines[1]).not.toMatch(/ratio/);
  });

  it('poisson refuses a label that is not a count, naming the row (not the value)', () => {
    const csvs = [siteCsv(40, 80, 'gaussian')];
    expect(() => runJob(csvs, { kind: 'glm', family: 'poisson' })).toThrow(
      /^poisson GLM: label of row \d+ is not a count$/,
    );
  });
});
