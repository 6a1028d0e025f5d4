/**
 * Federated logistic regression under HE on the four UCI heart-disease hospitals, against
 * statsmodels' Logit on the pooled records. Usage:
 *   npx tsx experiments/glm-heart-disease/run-glm-heart-disease.ts --data /work/shared/datasets/heart-disease
 * Writes experiments/results/glm-heart-disease.md with the side-by-side table it printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatGlmReport } from '../../cli/job/format-glm-report.js';
import { jobStatusView } from '../../cli/job/format-job-status.js';
import { categoryBucket, DEFAULT_CATEGORY_BUCKETS } from '../../client-node/index.js';
import { featureSalt, parseJobSpec } from '../../common/job/job-spec.js';
import { startInProcessFederation, waitForJob, waitForSites } from '../harness/in-process-federation.js';
import { prepareFlambyCsvs } from '../heart-disease/prepare-flamby-csv.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataArg = process.argv.indexOf('--data');
const dataDir = resolve(
  dataArg > 0 ? process.argv[dataArg + 1]! : join(here, '../../../shared/datasets/heart-disease'),
);
/** Debian's python3 (where apt puts python3-statsmodels) unless $PYTHON names another. */
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const CP = ['typical-angina', 'atypical-angina', 'non-anginal', 'asymptomatic'];

const csvDir = mkdtempSync(join(tmpdir(), 'hefl-glm-heart-'));
const centers = await prepareFlambyCsvs(dataDir, csvDir);
const fed = await startInProcessFederation({ sites: centers.length, dataFiles: centers.map((c) => c.file) });
try {
  await waitForSites(fed);
  const job = parseJobSpec({
    model: { kind: 'glm', family: 'binomial' },
    rounds: 14,
    minSites: 4,
    recruitSeconds: 10,
    roundDeadlineSeconds: 60,
    data: {
      label: 'num',
      categorical: ['cp'],
      features: ['age', 'sex', 'trestbps', 'chol', 'thalach', 'oldpeak', 'cp'],
    },
  });
  // hefl one-hot slots of an undeclared categorical are hash buckets `cp#b`; the lowest bucket
  // present is the reference level. Tell the statsmodels script which code is which slot.
  const slotOf = Object.fromEntries(
    CP.map((code) => [
      code,
      `cp#${categoryBucket('cp', code, featureSalt(job.spec), DEFAULT_CATEGORY_BUCKETS)}`,
    ]),
  );
  if (new Set(Object.values(slotOf)).size !== CP.length) throw new Error('two cp codes share a hash bucket');
  const started = performance.now();
  const { jobId } = await fed.researcher.submit(job);
  const status = await waitForJob(fed.researcher, jobId, 300_000);
  const seconds = (performance.now() - started) / 1000;
  if (status.state !== 'completed') throw new Error(`job ended ${status.state}: ${status.reason}`);
  const view = jobStatusView(
    status,
    fed.researcherKeys.sealingSecretKey,
    (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
  );
  const report = view.glm;
  if (!report?.result) throw new Error(`no GLM result: ${report?.error ?? 'not converged'}`);
  const table = formatGlmReport(report);
  console.log(table.join('\n'));

  const pooled = JSON.parse(
    execFileSync(
      PYTHON,
      [join(here, 'pooled-logit.py'), JSON.stringify(slotOf), ...centers.map((c) => c.file)],
      {
        encoding: 'utf8',
      },
    ),
  ) as { n: number; deviance: number; iterations: number; coefficients: Record<string, [number, number]> };
  const rows: string[] = [];
  let worstCoef = 0;
  let worstSe = 0;
  for (const c of report.result.coefficients) {
    const ref = pooled.coefficients[c.feature];
    if (!ref) throw new Error(`statsmodels has no coefficient ${c.feature}`);
    const dCoef = Math.abs(c.estimate - ref[0]) / Math.abs(ref[0]);
    const dSe = Math.abs(c.standardError - ref[1]) / Math.abs(ref[1]);
    worstCoef = Math.max(worstCoef, dCoef);
    worstSe = Math.max(worstSe, dSe);
    rows.push(
      `| ${c.feature} | ${c.estimate.toPrecision(10)} | ${ref[0].toPrecision(10)} | ${dCoef.toExponential(2)} | ${c.standardError.toPrecision(10)} | ${ref[1].toPrecision(10)} | ${dSe.toExponential(2)} |`,
    );
  }
  const summary = [
    `hefl (4 sites, HE ${job.spec.he.profile}): n ${report.result.n}, ${report.result.iterations} iterations, deviance ${report.result.deviance.toFixed(8)}, ${seconds.toFixed(1)} s wall`,
    `statsmodels Logit (pooled): n ${pooled.n}, ${pooled.iterations} iterations, deviance ${pooled.deviance.toFixed(8)}`,
    `largest relative difference: coefficients ${worstCoef.toExponential(2)}, standard errors ${worstSe.toExponential(2)}`,
  ];
  console.log(summary.join('\n'));
  const md = [
    '# Federated logistic regression under HE vs statsmodels on the pooled records',
    '',
    'UCI heart disease, four hospitals (Cleveland, Hungary, Switzerland, VA; FLamby preprocessing: rows with a',
    'missing value in the kept columns dropped). Label num > 0; features age, sex, trestbps, chol, thalach,',
    'oldpeak and cp one-hot (hefl hashes the cp codes into buckets `cp#b`; the lowest bucket present is the reference level, and the statsmodels design uses the same reference). hefl: `model: { kind: glm, family: binomial }`, four',
    'in-process site nodes over real gRPC with real node-seal; every IRLS iteration is one round of exact',
    'limb-encoded encrypted sums. Reference: `statsmodels.api.Logit(...).fit(method="newton", tol=1e-12)` on all',
    'records together (experiments/glm-heart-disease/pooled-logit.py, which reads the CSVs itself).',
    '',
    `Command: \`npx tsx experiments/glm-heart-disease/run-glm-heart-disease.ts ${process.argv.slice(2).join(' ')}\``,
    '',
    ...summary.map((s) => `- ${s}`),
    `- cp codes and their hefl slots: ${Object.entries(slotOf)
      .map(([code, slot]) => `${code} = ${slot}`)
      .join(', ')} (the lowest bucket is the reference)`,
    '',
    '| feature | hefl estimate | statsmodels | rel. diff | hefl SE | statsmodels SE | rel. diff |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'The table as `hefl job status` prints it:',
    '',
    '```',
    ...table,
    '```',
    '',
  ].join('\n');
  writeFileSync(join(here, '../results/glm-heart-disease.md'), md);
  console.log('wrote experiments/results/glm-heart-disease.md');
} finally {
  await fed.stop();
}
