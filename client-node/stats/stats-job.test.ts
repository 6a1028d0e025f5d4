import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatsReport } from '../../cli/job/format-stats-report.js';
import { decodeLimbs } from '../../common/fl/limb-encoding.js';
import { SUMMARY_ENCODING } from '../../common/fl/summary-layout.js';
import { CiphertextAdder } from '../../common/he/ciphertext-adder.js';
import { getProfile } from '../../common/he/he-profile.js';
import { SiteCipher } from '../../common/he/site-cipher.js';
import { parseModelSpec, type StatsSpec } from '../../common/job/model-spec.js';
import type { StatsReport } from '../../common/protocol/sealed-stats-report.js';
import { parseCsv } from '../data/parse-csv.js';
import { generateSyntheticHospitals } from '../data/synthetic-hospitals.js';
import { StatsJob } from './stats-job.js';
import { summaryReport } from './summary-report.js';

const PROFILE = getProfile('bgv-n2048-q54-t38/v1');
const MIN_CELL = 5;
const CHEST_PAIN = ['typical', 'atypical', 'non-anginal', 'asymptomatic'];
const ECG = ['normal', 'st-t-abnormality', 'lv-hypertrophy'];
const AGE_EDGES = [40, 50, 60, 70, 80];

const SPEC = parseModelSpec({
  kind: 'stats',
  numeric: ['age', 'cholesterol', 'bmi'],
  categories: { sex: ['0', '1'], chest_pain: CHEST_PAIN, ecg: ECG },
  histograms: { age: AGE_EDGES },
  crossTabs: [['chest_pain', 'ecg']],
  strata: 'sex',
}) as StatsSpec;

/** The shipped synthetic hospitals' records, parsed here independently of hefl's CSV code. */
function recordsBySite(sites: number): Record<string, string>[][] {
  return generateSyntheticHospitals({ sites, seed: 7 }).map((site) => {
    const [header, ...lines] = site.csv.trim().split('\n');
    const columns = header!.split(',');
    return lines
      .map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i]!, cell.trim()])))
      .filter((row) => Object.values(row).every((cell) => !['', 'NA', '?'].includes(cell)));
  });
}

/** Expected count of one cell over sites, each site suppressing its own 1..MIN_CELL-1. */
function expectedCell(
  sites: Record<string, string>[][],
  keep: (row: Record<string, string>) => boolean,
): { count: number; suppressedAt: number } {
  let count = 0;
  let suppressedAt = 0;
  for (const rows of sites) {
    const c = rows.filter(keep).length;
    if (c > 0 && c < MIN_CELL) suppressedAt++;
    else count += c;
  }
  return { count, suppressedAt };
}

describe('a stats job over real node-seal sums equals the pooled values', () => {
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

  function run(sites: number): { report: StatsReport; jobs: StatsJob[] } {
    const jobs = generateSyntheticHospitals({ sites, seed: 7 }).map((site, i) => {
      const table = parseCsv(site.csv, `site${i}.csv`, {
        label: 'event',
        categorical: ['chest_pain', 'ecg'],
      }).table;
      const job = new StatsJob(SPEC, MIN_CELL);
      job.prepare(undefined, [table]);
      return job;
    });
    const sections = jobs.map((job) => job.section(cipher));
    const sum = adder.startSum(sections[0]!.batch.valueCount);
    for (const s of sections) sum.add(s.batch);
    const aggregate = { name: sections[0]!.name, batch: sum.result() };
    sum.delete();
    const reports = jobs.map((job) => job.apply(cipher, [aggregate], jobs.length));
    for (const r of reports) expect(r).toEqual(reports[0]);
    return { report: reports[0]!, jobs };
  }

  it('record counts, label positives, means and SDs equal the pooled records (overall and by sex)', () => {
    const sites = recordsBySite(3);
    const pooled = sites.flat();

    const { report } = run(3);

    expect(report.strata.map((s) => s.stratum)).toEqual(['all', 'sex=0', 'sex=1']);
    const strata: [string, (r: Record<string, string>) => boolean][] = [
      ['all', () => true],
      ['sex=0', (r) => r.sex === '0'],
      ['sex=1', (r) => r.sex === '1'],
    ];
    for (const [name, keep] of strata) {
      const stratum = report.strata.find((s) => s.stratum === name)!;
      const rows = pooled.filter(keep);
      expect(stratum.records).toEqual({ count: rows.length, suppressedAt: 0 });
      expect(stratum.positives.count).toBe(rows.filter((r) => Number(r.event) > 0).length);
      for (const column of ['age', 'cholesterol', 'bmi']) {
        const values = rows.map((r) => Number(r[column]));
        const mean = values.reduce((a, v) => a + v, 0) / values.length;
        const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
        const got = stratum.numeric.find((n) => n.column === column)!;
        expect(got.n).toBe(values.length);
        expect(Math.abs(got.mean! - mean)).toBeLessThanOrEqual(1e-9 * Math.abs(mean));
        expect(Math.abs(got.sd! - sd)).toBeLessThanOrEqual(1e-8 * sd);
      }
    }
  });

  it('frequency tables, histogram bins and the cross-tab equal the pooled counts; small cells are suppressed at the site and stated', () => {
    const sites = recordsBySite(3);

    const { report, jobs } = run(3);

    const all = report.strata[0]!;
    const ecg = all.categories.find((c) => c.column === 'ecg')!;
    ECG.forEach((level, i) => {
      expect(ecg.cells[i]).toEqual({ level, ...expectedCell(sites, (r) => r.ecg === level) });
    });
    const bins = all.histograms[0]!.bins;
    const binOf = (age: number) => AGE_EDGES.filter((e) => age >= e).length;
    bins.forEach((bin, k) => {
      expect(bin).toEqual(expectedCell(sites, (r) => binOf(Number(r.age)) === k));
    });
    const tab = all.crossTabs[0]!;
    let suppressedCells = 0;
    for (const [i, cp] of CHEST_PAIN.entries())
      for (const [j, e] of ECG.entries()) {
        const expected = expectedCell(sites, (r) => r.chest_pain === cp && r.ecg === e);
        expect(tab.cells[i]![j]).toEqual(expected);
        suppressedCells += expected.suppressedAt;
      }
    // Not vacuous: the data has small cells, and they show up as suppressed.
    const binSuppressed = bins.reduce((n, b) => n + b.suppressedAt, 0);
    expect(suppressedCells + binSuppressed).toBeGreaterThan(0);
    expect(formatStatsReport(report).join('\n')).toMatch(/ \d+ \*\d/);

    // Suppressed before encryption: a site's own section, decrypted alone, carries 0 and the flag there.
    const small = sites
      .flatMap((rows, site) =>
        bins.map((_, k) => ({ site, k, c: rows.filter((r) => binOf(Number(r.age)) === k).length })),
      )
      .find(({ c }) => c > 0 && c < MIN_CELL);
    expect(small).toBeDefined();
    const own = jobs[small!.site]!.section(cipher).batch;
    const one = adder.startSum(own.valueCount);
    one.add(own);
    const alone = decodeLimbs(cipher.decryptIntegers(one.result(), 1), SUMMARY_ENCODING);
    one.delete();
    expect(summaryReport(SPEC, alone).strata[0]!.histograms[0]!.bins[small!.k]).toEqual({
      count: 0,
      suppressedAt: 1,
    });
  });

  it('quartiles from the histogram lie in the bin holding the pooled quartile', () => {
    const ages = recordsBySite(3)
      .flat()
      .map((r) => Number(r.age))
      .sort((a, b) => a - b);

    const { report } = run(3);

    const quartiles = report.strata[0]!.histograms[0]!.quartiles;
    for (const q of quartiles) {
      const exact = ages[Math.floor(q.q * (ages.length - 1))]!;
      const bin = AGE_EDGES.filter((e) => exact >= e).length;
      expect(q.value).not.toBeNull();
      expect(q.value!).toBeGreaterThanOrEqual(AGE_EDGES[bin - 1]!);
      expect(q.value!).toBeLessThanOrEqual(AGE_EDGES[bin]!);
    }
  });

  it('a stats spec naming a column the site lacks is refused, naming the column', () => {
    const spec = parseModelSpec({ kind: 'stats', numeric: ['weight'] }) as StatsSpec;
    const table = parseCsv(generateSyntheticHospitals({ sites: 1, seed: 7 })[0]!.csv, 'a.csv', {
      label: 'event',
      categorical: ['chest_pain', 'ecg'],
    }).table;
    expect(() => new StatsJob(spec, MIN_CELL).prepare(undefined, [table])).toThrow(
      "stats job: column 'weight' is not among this site's job columns",
    );
  });
});
