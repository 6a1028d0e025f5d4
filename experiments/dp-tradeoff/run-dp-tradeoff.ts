import { parseArgs } from 'node:util';
import { readJobOutcome } from '../../cli/researcher/job-outcome.js';
import { noiseMultiplierFor, recordDpPlan } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import { startInProcessFederation, waitForJob, waitForSites } from '../harness/in-process-federation.js';
import { machineInfo, provenanceMarkdown } from '../plot/machine-info.js';
import { markdownTable } from '../plot/markdown-table.js';
import { meanAndStd } from '../plot/mean-and-std.js';
import { writeResults } from '../plot/write-results.js';

/** Target epsilons; `null` is the no-DP baseline. */
const EPSILONS: readonly (number | null)[] = [0.5, 1, 2, 5, 10, null];
const DELTA = 1e-5;
const CLIP_NORM = 1;
const LOCAL = { epochs: 2, learningRate: 0.1, batchSize: 32 } as const;
/** record: DP-SGD at each site (patient-level); site: DP-FedAvg on each site's update. */
type Unit = 'record' | 'site';
const UNITS: readonly Unit[] = ['site', 'record'];

interface Run {
  unit: Unit | null;
  epsilon: number | null;
  /** Record-level: each site's sigma, chosen from its own training rows. */
  siteNoiseMultipliers?: number[];
  seed: number;
  noiseMultiplier: number | null;
  clipRange: number;
  state: string;
  meanSiteAccuracy: number | null;
  accuracy: number | null;
  auc: number | null;
  seconds: number;
  reason?: string;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new HeflError('invalid_argument', `--${name} must be a positive integer`);
  return n;
}

/** DP settings as `cli/simulate/run-simulation.ts` derives them: HE clip range widened for the noise. */
function dpSettings(epsilon: number, rounds: number, sites: number) {
  const noiseMultiplier = noiseMultiplierFor({ epsilon, delta: DELTA, steps: rounds });
  const siteStddev = (noiseMultiplier * CLIP_NORM) / Math.sqrt(sites);
  return { noiseMultiplier, clipRange: CLIP_NORM + 6 * siteStddev };
}

/** One job on a fresh federation (each site's default budget is epsilon 10, so no reuse). */
async function runOne(
  unit: Unit | null,
  epsilon: number | null,
  seed: number,
  sites: number,
  rounds: number,
): Promise<Run> {
  const dp = epsilon === null || unit !== 'site' ? undefined : dpSettings(epsilon, rounds, sites);
  const started = performance.now();
  const fed = await startInProcessFederation({ sites, seed });
  try {
    await waitForSites(fed);
    const job = parseJobSpec({
      name: `dp-tradeoff-${unit ?? 'none'}-eps-${epsilon ?? 'none'}-seed-${seed}`,
      model: { kind: 'logreg' },
      rounds,
      strategy: { name: 'fedavg' },
      local: LOCAL,
      minSites: sites,
      data: { label: 'event', categorical: ['chest_pain', 'ecg'] },
      he: { clipRange: dp ? dp.clipRange : 1 },
      ...(epsilon !== null && unit !== null
        ? { dp: { unit, epsilon, delta: DELTA, clipNorm: CLIP_NORM } }
        : {}),
      recruitSeconds: 30,
      roundDeadlineSeconds: 120,
      seed,
    });
    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 10 * 60_000);
    // Record-level: each site's sigma, recomputed from the training rows it logged (the same
    // recordDpPlan the site ran at acceptance).
    const siteNoiseMultipliers =
      unit === 'record' && epsilon !== null
        ? fed.logs
            .filter((l) => l.event === 'data.loaded' && l.fields.job === jobId)
            .map(
              (l) =>
                recordDpPlan({
                  epsilon,
                  delta: DELTA,
                  clipNorm: CLIP_NORM,
                  rows: Number(l.fields.trainRows),
                  local: LOCAL,
                  rounds,
                }).noiseMultiplier,
            )
        : undefined;
    const base = {
      unit,
      epsilon,
      ...(siteNoiseMultipliers ? { siteNoiseMultipliers } : {}),
      seed,
      noiseMultiplier: dp?.noiseMultiplier ?? null,
      clipRange: dp ? dp.clipRange : 1,
      state: status.state,
    };
    if (status.state !== 'completed') {
      return {
        ...base,
        meanSiteAccuracy: null,
        accuracy: null,
        auc: null,
        seconds: (performance.now() - started) / 1000,
        reason: status.reason,
      };
    }
    const outcome = readJobOutcome(
      status,
      fed.researcherKeys.sealingSecretKey,
      (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
    );
    const metrics = outcome.at(-1)?.metrics;
    return {
      ...base,
      meanSiteAccuracy: metrics?.meanSiteAccuracy ?? null,
      accuracy: metrics?.accuracy ?? null,
      auc: metrics?.auc ?? null,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await fed.stop();
  }
}

const fmt = (x: number, digits = 3) => x.toFixed(digits);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sites: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '5' },
      seeds: { type: 'string', default: '3' },
      out: { type: 'string', default: 'experiments/results' },
    },
  });
  const sites = positiveInt('sites', values.sites);
  const rounds = positiveInt('rounds', values.rounds);
  const seedCount = positiveInt('seeds', values.seeds);
  const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
  const command = ['npx tsx experiments/dp-tradeoff/run-dp-tradeoff.ts', ...process.argv.slice(2)].join(' ');
  const wallStart = performance.now();

  const runs: Run[] = [];
  const configs: { unit: Unit | null; epsilon: number | null }[] = [
    ...UNITS.flatMap((unit) =>
      EPSILONS.filter((e): e is number => e !== null).map((epsilon) => ({ unit, epsilon })),
    ),
    { unit: null, epsilon: null },
  ];
  for (const { unit, epsilon } of configs) {
    for (const seed of seeds) {
      const run = await runOne(unit, epsilon, seed, sites, rounds);
      runs.push(run);
      console.error(
        `[dp-tradeoff] ${unit ?? 'no DP'} epsilon ${epsilon ?? 'none'} seed ${seed}: ${run.state}, mean site accuracy ${run.meanSiteAccuracy?.toFixed(3) ?? '-'}, AUC ${run.auc?.toFixed(3) ?? '-'} (${run.seconds.toFixed(1)} s)${run.reason ? ` ${run.reason}` : ''}`,
      );
    }
  }
  const totalSeconds = (performance.now() - wallStart) / 1000;

  const summary = configs.map(({ unit, epsilon }) => {
    const mine = runs.filter((r) => r.epsilon === epsilon && r.unit === unit);
    const sigmas = mine.flatMap((r) => r.siteNoiseMultipliers ?? []);
    const done = mine.filter((r) => r.meanSiteAccuracy !== null && r.auc !== null);
    const acc = meanAndStd(done.map((r) => r.meanSiteAccuracy!));
    const auc = meanAndStd(done.map((r) => r.auc!));
    return {
      unit,
      epsilon,
      noiseMultiplier: mine[0]?.noiseMultiplier ?? null,
      siteNoiseMultiplierRange: sigmas.length > 0 ? [Math.min(...sigmas), Math.max(...sigmas)] : null,
      clipRange: mine[0]?.clipRange ?? 1,
      runs: mine.length,
      completed: done.length,
      meanSiteAccuracy: acc.mean,
      meanSiteAccuracyStd: acc.std,
      auc: auc.mean,
      aucStd: auc.std,
    };
  });

  const machine = machineInfo();
  const notes = [
    `Real federated jobs through the in-process harness (experiments/harness/in-process-federation.ts): coordinator, ${sites} site nodes on the built-in synthetic data and a researcher over gRPC on 127.0.0.1, real CKKS encryption (node-seal) of every update.`,
    `Job: logreg, FedAvg, ${rounds} rounds, local ${LOCAL.epochs} epochs, learning rate ${LOCAL.learningRate}, batch ${LOCAL.batchSize}, label \`event\`, categorical chest_pain and ecg, minSites ${sites}.`,
    `Record-level (patient-level) DP: DP-SGD inside each site's local training — per-example gradients clipped to L2 norm ${CLIP_NORM}, Gaussian noise of stddev sigma * ${CLIP_NORM} on each step's summed gradient, Poisson sampling at q = ${LOCAL.batchSize} / the site's training rows; each site's sigma = the smallest for which the RDP accountant (Poisson-subsampled Gaussian) gives epsilon over ${LOCAL.epochs} x ceil(rows / ${LOCAL.batchSize}) x ${rounds} steps at delta ${DELTA} (recordDpPlan). The HE clip range stays 1. The table gives the range of sigma over the sites and seeds.`,
    `Site-level DP (DP-FedAvg): each site's own filter: the site clips its update to L2 norm ${CLIP_NORM} and adds Gaussian noise of stddev sigma * clipNorm / sqrt(${sites}) before encrypting, so the sum carries noise sigma * clipNorm. sigma = noiseMultiplierFor({ epsilon, delta: ${DELTA}, steps: ${rounds} }) (RDP accountant, one release per round, no sampling amplification). HE clip range = clipNorm + 6 * sigma * clipNorm / sqrt(${sites}).`,
    "Each (epsilon, seed) pair runs on a fresh federation: the default site policy gives each site a budget of epsilon 10, so reusing sites would refuse later jobs. The seed sets both the synthetic hospitals' data and the job seed.",
    "Metrics are those of the model after the last training round, sealed to the researcher and opened by it: mean site accuracy (unweighted mean of each site's held-out accuracy) and AUC over all sites' held-out records. ± is the sample standard deviation over seeds.",
    `Seeds: ${seeds.join(', ')}. Total wall time ${totalSeconds.toFixed(0)} s on the machine below (other work was running).`,
  ];
  const json = {
    experiment: 'dp-tradeoff',
    command,
    machine,
    settings: {
      sites,
      rounds,
      seeds,
      delta: DELTA,
      clipNorm: CLIP_NORM,
      local: LOCAL,
      model: 'logreg',
      strategy: 'fedavg',
    },
    totalSeconds,
    summary,
    runs,
    notes,
  };
  const epsLabel = (e: number | null) => (e === null ? 'no DP' : String(e));
  const markdown = [
    '# Accuracy against epsilon: record-level (DP-SGD) and site-level DP under HE, synthetic data',
    '',
    provenanceMarkdown(command, machine),
    '',
    markdownTable(
      [
        'DP unit',
        'epsilon',
        'noise multiplier',
        'HE clip range',
        'mean site accuracy (± std)',
        'AUC (± std)',
        'completed',
      ],
      summary.map((s) => [
        s.unit ?? '-',
        epsLabel(s.epsilon),
        s.siteNoiseMultiplierRange
          ? `${fmt(s.siteNoiseMultiplierRange[0]!)}-${fmt(s.siteNoiseMultiplierRange[1]!)} (per site)`
          : s.noiseMultiplier === null
            ? '-'
            : fmt(s.noiseMultiplier),
        fmt(s.clipRange, 2),
        s.completed ? `${fmt(s.meanSiteAccuracy)} ± ${fmt(s.meanSiteAccuracyStd)}` : '-',
        s.completed ? `${fmt(s.auc)} ± ${fmt(s.aucStd)}` : '-',
        `${s.completed}/${s.runs}`,
      ]),
    ),
    '',
    '## Notes',
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');

  const dpPoints = summary
    .filter((s) => s.epsilon !== null && s.completed > 0)
    .map((s) => ({
      unit: s.unit === 'record' ? 'record-level (DP-SGD)' : 'site-level (DP-FedAvg)',
      epsilon: s.epsilon,
      accuracy: s.meanSiteAccuracy,
      low: s.meanSiteAccuracy - s.meanSiteAccuracyStd,
      high: s.meanSiteAccuracy + s.meanSiteAccuracyStd,
    }));
  const baseline = summary.find((s) => s.epsilon === null && s.completed > 0);
  const xScale = { type: 'log', domain: [0.4, 12] };
  const plot = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Mean site accuracy against epsilon',
      subtitle: `${sites} sites, ${rounds} rounds, logreg, FedAvg under HE; mean ± std over ${seedCount} seed(s)`,
    },
    width: 420,
    height: 280,
    layer: [
      {
        data: { values: dpPoints },
        mark: { type: 'line', point: true },
        encoding: {
          color: { field: 'unit', type: 'nominal', title: 'DP unit' },
          x: {
            field: 'epsilon',
            type: 'quantitative',
            scale: xScale,
            title: 'epsilon (log scale, delta 1e-5)',
          },
          y: {
            field: 'accuracy',
            type: 'quantitative',
            scale: { zero: false },
            title: 'mean site accuracy',
          },
        },
      },
      {
        data: { values: dpPoints },
        mark: { type: 'errorbar' },
        encoding: {
          color: { field: 'unit', type: 'nominal', title: 'DP unit' },
          x: { field: 'epsilon', type: 'quantitative', scale: xScale },
          y: { field: 'low', type: 'quantitative', title: 'mean site accuracy' },
          y2: { field: 'high' },
        },
      },
      ...(baseline
        ? [
            {
              data: { values: [{ accuracy: baseline.meanSiteAccuracy, label: 'no DP' }] },
              mark: { type: 'rule', strokeDash: [6, 4], color: 'firebrick' },
              encoding: { y: { field: 'accuracy', type: 'quantitative', title: 'mean site accuracy' } },
            },
            {
              data: { values: [{ accuracy: baseline.meanSiteAccuracy, label: 'no DP' }] },
              mark: { type: 'text', align: 'left', dx: 4, dy: -6, x: 0, color: 'firebrick' },
              encoding: {
                y: { field: 'accuracy', type: 'quantitative', title: 'mean site accuracy' },
                text: { field: 'label' },
              },
            },
          ]
        : []),
    ],
  };
  const paths = await writeResults(values.out, 'dp-tradeoff', { json, markdown, plot });
  console.error(`[dp-tradeoff] wrote ${paths.join(', ')} in ${totalSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
