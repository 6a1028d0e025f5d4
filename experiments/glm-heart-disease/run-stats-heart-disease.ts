/**
 * A federated stats job under HE on the four UCI heart-disease hospitals (the job file
 * examples/jobs/heart-disease-stats.yaml), against counts and means computed here from the
 * pooled CSVs. Usage:
 *   npx tsx experiments/glm-heart-disease/run-stats-heart-disease.ts --data /work/shared/datasets/heart-disease
 * Writes experiments/results/stats-heart-disease.md.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobStatusView } from '../../cli/job/format-job-status.js';
import { formatStatsReport } from '../../cli/job/format-stats-report.js';
import { readJobFile } from '../../cli/job/read-job-file.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import { startInProcessFederation, waitForJob, waitForSites } from '../harness/in-process-federation.js';
import { prepareFlambyCsvs } from '../heart-disease/prepare-flamby-csv.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataArg = process.argv.indexOf('--data');
const dataDir = resolve(
  dataArg > 0 ? process.argv[dataArg + 1]! : join(here, '../../../shared/datasets/heart-disease'),
);
const JOB_FILE = join(here, '../../examples/jobs/heart-disease-stats.yaml');

/** The records of the prepared CSVs, read here (plain split: the files have no quoted cells). */
function readRecords(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((c, i) => [columns[i]!, c.trim()])));
}

const csvDir = mkdtempSync(join(tmpdir(), 'hefl-stats-heart-'));
const centers = await prepareFlambyCsvs(dataDir, csvDir);
const fed = await startInProcessFederation({ sites: centers.length, dataFiles: centers.map((c) => c.file) });
try {
  await waitForSites(fed);
  const fromFile = await readJobFile(JOB_FILE);
  const job = parseJobSpec({ ...fromFile.spec, recruitSeconds: 10, roundDeadlineSeconds: 60 });
  const started = performance.now();
  const { jobId } = await fed.researcher.submit(job);
  const status = await waitForJob(fed.researcher, jobId, 300_000);
  const seconds = (performance.now() - started) / 1000;
  if (status.state !== 'completed') throw new Error(`job ended ${status.state}: ${status.reason}`);
  const stats = jobStatusView(
    status,
    fed.researcherKeys.sealingSecretKey,
    (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
  ).stats;
  if (!stats) throw new Error('no stats tables');
  const printed = formatStatsReport(stats);
  console.log(printed.join('\n'));

  const bySite = centers.map((c) => readRecords(c.file));
  const pooled = bySite.flat();
  const strata: [string, (r: Record<string, string>) => boolean][] = [
    ['all', () => true],
    ['sex=0', (r) => Number(r.sex) === 0],
    ['sex=1', (r) => Number(r.sex) === 1],
  ];
  const rows: string[] = [];
  let countsEqual = true;
  let worstMean = 0;
  for (const [name, keep] of strata) {
    const stratum = stats.strata.find((s) => s.stratum === name)!;
    // The same rule as the sites, applied here: a site with 1..4 records in the stratum sends none.
    const sizes = bySite.map((rows) => rows.filter(keep).length);
    const kept = bySite
      .filter((_, i) => !(sizes[i]! > 0 && sizes[i]! < 5))
      .flatMap((rows) => rows.filter(keep));
    const all = pooled.filter(keep);
    const dropped = sizes.filter((n) => n > 0 && n < 5).length;
    const positives = (rows: Record<string, string>[]) => rows.filter((r) => Number(r.num) > 0).length;
    countsEqual &&= stratum.records.count === kept.length && stratum.records.suppressedAt === dropped;
    rows.push(
      `| ${name} | records | ${stratum.records.count} (*${stratum.records.suppressedAt}) | ${kept.length} (${dropped} site(s) below 5) | ${all.length} |`,
      `| ${name} | num > 0 | ${stratum.positives.count} (*${stratum.positives.suppressedAt}) | ${dropped ? '-' : positives(kept)} | ${positives(all)} |`,
    );
    if (!dropped) countsEqual &&= stratum.positives.count === positives(kept);
    for (const n of stratum.numeric) {
      const values = kept.map((r) => Number(r[n.column]));
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const everyone = all.reduce((a, r) => a + Number(r[n.column]), 0) / all.length;
      const diff = Math.abs(n.mean! - mean) / Math.abs(mean);
      worstMean = Math.max(worstMean, diff);
      countsEqual &&= n.n === values.length;
      rows.push(
        `| ${name} | mean ${n.column} | ${n.mean!.toPrecision(12)} (n ${n.n}) | ${mean.toPrecision(12)} (n ${values.length}; rel. diff ${diff.toExponential(2)}) | ${everyone.toPrecision(12)} (n ${all.length}) |`,
      );
    }
  }
  const suppressed = printed.filter((l) => /\*\d/.test(l)).length;
  const summary = [
    `hefl (4 sites, HE ${job.spec.he.profile}, minCellSize 5 at every site): ${seconds.toFixed(1)} s wall`,
    `record counts, label counts and the n of every mean equal the pooled CSVs under the same site-level suppression: ${countsEqual ? 'yes' : 'NO'}`,
    `largest relative difference of a mean from the pooled CSVs (same suppression): ${worstMean.toExponential(2)}`,
    `printed lines with a suppressed cell (*k): ${suppressed}`,
  ];
  console.log(summary.join('\n'));
  const md = [
    '# Federated descriptive statistics under HE vs the pooled records',
    '',
    'UCI heart disease, four hospitals (Cleveland, Hungary, Switzerland, VA; FLamby preprocessing: rows with a',
    'missing value in the kept columns dropped). The job is `examples/jobs/heart-disease-stats.yaml`',
    '(`model: { kind: stats }`): counts, means and SDs of age, trestbps, chol, thalach, oldpeak; frequency',
    'tables of sex and cp; histograms of age and thalach with quartiles; cp x sex; all overall and by sex.',
    'Four in-process site nodes over real gRPC with real node-seal; each site suppresses every local count',
    'of 1..4 (its policy minCellSize 5) before encryption. Reference: the same prepared CSVs read and summed',
    'by this script.',
    '',
    `Command: \`npx tsx experiments/glm-heart-disease/run-stats-heart-disease.ts ${process.argv.slice(2).join(' ')}\``,
    '',
    ...summary.map((s) => `- ${s}`),
    '',
    "The reference applies the sites' rule itself (a site holding 1..4 records of a stratum sends none of",
    'them); the last column is the plain pooled value, which differs exactly where a stratum was suppressed',
    '(women at the sites with fewer than five). The `all` stratum has no suppression and equals it.',
    '',
    '| stratum | value | hefl (*k: suppressed at k sites) | pooled, same suppression | pooled, no suppression |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'The tables as `hefl job status` prints them (`*k`: the cell was suppressed at k sites, which held',
    "1..4 records there and sent 0; the count shown is the other sites' total):",
    '',
    '```',
    ...printed,
    '```',
    '',
  ].join('\n');
  writeFileSync(join(here, '../results/stats-heart-disease.md'), md);
  console.log('wrote experiments/results/stats-heart-disease.md');
} finally {
  await fed.stop();
}
