import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type BackendPreference, DATA_INPUTS, type DataInput } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import { STRATEGY_NAMES } from '../../common/job/strategy-config.js';
import { oneOf, positiveInteger, positiveNumber } from '../cli-options.js';
import { formatGlmReport } from '../job/format-glm-report.js';
import { formatStatsReport } from '../job/format-stats-report.js';
import { readJobFile } from '../job/read-job-file.js';
import { runSimulation, type SimulationResult } from '../simulate/run-simulation.js';
import { SIMULATION_ISOLATIONS, type SimulationIsolation } from '../simulate/simulation-options.js';
import { TRAINING_BACKENDS } from '../training-backends.js';

/** Sites one simulation may have (the job format allows up to 100,000; the machine decides). */
const MAX_SITES = 1000;

interface SimulateOptions {
  sites: number;
  rounds: number;
  data?: string;
  input: DataInput;
  mapping?: string;
  label?: string;
  categorical?: string;
  splitColumn?: string;
  model: string;
  job?: string;
  strategy: string;
  serverLearningRate?: number;
  he: 'on' | 'off';
  dpEpsilon?: number;
  dpUnit: 'record' | 'site';
  seed: number;
  out?: string;
  json?: boolean;
  minSites?: number;
  roundDeadline?: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  timeout: number;
  isolation: SimulationIsolation;
  startupTimeout?: number;
  trainingWorkers: number;
  backend: BackendPreference;
}

/** `hefl simulate`: a whole encrypted federation on this machine, for trying hefl out and for comparisons. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'run a coordinator and N site nodes on 127.0.0.1 (real gRPC, mutual TLS, HE) through one job',
    )
    .option(
      '--sites <n>',
      'number of sites (ignored with --data: one site per CSV)',
      positiveInteger('--sites', MAX_SITES),
      3,
    )
    .option(
      '--isolation <mode>',
      'in-process: the site nodes share this process (one TensorFlow.js and node-seal, each its own keys, TLS, folder and connection); process: one process per site',
      oneOf('--isolation', SIMULATION_ISOLATIONS),
      'in-process',
    )
    .option(
      '--startup-timeout <s>',
      'seconds the coordinator and sites may take to start and connect (default: 60 + 3 per site)',
      positiveNumber('--startup-timeout'),
    )
    .option(
      '--training-workers <n>',
      'with --isolation in-process: training worker threads the sites share',
      positiveInteger('--training-workers', 16),
      1,
    )
    .option('--rounds <r>', 'training rounds', positiveInteger('--rounds', 1000), 5)
    .option('--data <dir>', 'one CSV per site (default: built-in synthetic hospitals)')
    .option(
      '--input <kind>',
      `how sites read --data: ${DATA_INPUTS.join(', ')}`,
      oneOf('--input', DATA_INPUTS),
      'csv',
    )
    .option(
      '--mapping <file>',
      'with --input fhir|omop: the mapping file every site uses (--data DIR has one folder per site)',
    )
    .option('--label <column>', 'label column (required with --data; value > 0 is positive)')
    .option('--categorical <columns>', 'comma-separated categorical columns of --data')
    .option(
      '--split-column <column>',
      "with --data: each site's fixed train/test split is this column (train or test per row)",
    )
    .option('--model <kind>', 'logreg, mlp, or a JSON model spec file', 'logreg')
    .option(
      '--job <file>',
      'run this job file (YAML or JSON: model, rounds, data, ...) instead of the one --model/--rounds/--strategy describe; --he still applies',
    )
    .option('--strategy <name>', STRATEGY_NAMES.join(', '), oneOf('--strategy', STRATEGY_NAMES), 'fedavg')
    .option(
      '--server-learning-rate <eta>',
      'server step size of the strategy (default: the strategy’s own)',
      positiveNumber('--server-learning-rate'),
    )
    .option(
      '--he <on|off>',
      'off runs the identical path without encryption (insecure; for comparisons)',
      oneOf('--he', ['on', 'off'] as const),
      'on',
    )
    .option('--dp-epsilon <e>', 'differential privacy budget for the job', positiveNumber('--dp-epsilon'))
    .option(
      '--dp-unit <unit>',
      'what --dp-epsilon protects: record (one patient record, DP-SGD at each site) or site (one site’s update)',
      oneOf('--dp-unit', ['record', 'site'] as const),
      'record',
    )
    .option(
      '--seed <s>',
      'seed for data, splits, initial model and shuffling',
      positiveInteger('--seed', 2 ** 31),
      42,
    )
    .option(
      '--min-sites <n>',
      'sites a round needs to close (default: all)',
      positiveInteger('--min-sites', MAX_SITES),
    )
    .option(
      '--round-deadline <s>',
      'seconds a round waits for updates (default: 60 + 1 per site)',
      positiveNumber('--round-deadline'),
    )
    .option('--epochs <n>', 'local epochs per round', positiveInteger('--epochs', 1000), 2)
    .option('--learning-rate <lr>', 'local learning rate', positiveNumber('--learning-rate'), 0.1)
    .option('--batch-size <n>', 'local batch size', positiveInteger('--batch-size', 65_536), 32)
    .option(
      '--backend <name>',
      `every site's TensorFlow.js backend: ${TRAINING_BACKENDS.join(', ')} (cpu: plain JavaScript, only when named)`,
      oneOf('--backend', TRAINING_BACKENDS),
      'auto',
    )
    .option('--timeout <s>', 'give up after this many seconds', positiveNumber('--timeout'), 600)
    .option('--out <dir>', 'keep the federation folder here (coordinator/, sites/<site>/, researcher/)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: SimulateOptions) => {
      const job = opts.job ? await readJobFile(opts.job) : undefined;
      const label = opts.label ?? job?.spec.data.label;
      const result = await runSimulation({
        ...(job ? { job } : {}),
        sites: opts.sites,
        rounds: opts.rounds,
        ...(opts.data ? { dataDir: opts.data } : {}),
        input: opts.input,
        ...(opts.mapping ? { mapping: opts.mapping } : {}),
        ...(label ? { label } : {}),
        ...(opts.categorical ? { categorical: opts.categorical.split(',').map((c) => c.trim()) } : {}),
        ...(opts.splitColumn ? { splitColumn: opts.splitColumn } : {}),
        model: readModel(opts.model),
        strategy: opts.strategy,
        ...(opts.serverLearningRate ? { serverLearningRate: opts.serverLearningRate } : {}),
        he: opts.he === 'on',
        ...(opts.dpEpsilon !== undefined ? { dpEpsilon: opts.dpEpsilon, dpUnit: opts.dpUnit } : {}),
        seed: opts.seed,
        ...(opts.out ? { outDir: opts.out } : {}),
        ...(opts.minSites ? { minSites: opts.minSites } : {}),
        ...(opts.roundDeadline ? { roundDeadlineSeconds: opts.roundDeadline } : {}),
        local: { epochs: opts.epochs, learningRate: opts.learningRate, batchSize: opts.batchSize },
        timeoutSeconds: opts.timeout,
        isolation: opts.isolation,
        ...(opts.startupTimeout ? { startupTimeoutSeconds: opts.startupTimeout } : {}),
        trainingWorkers: opts.trainingWorkers,
        backend: opts.backend,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(formatSummary(result));
      if (result.state !== 'completed') {
        throw new HeflError('failed_precondition', `job ${result.jobId} ${result.state}: ${result.reason}`);
      }
    });
}

function readModel(value: string): unknown {
  if (value === 'logreg') return { kind: 'logreg' };
  if (value === 'mlp') return { kind: 'mlp', hidden: [16, 8], activation: 'relu' };
  try {
    return JSON.parse(readFileSync(value, 'utf8'));
  } catch (cause) {
    throw new HeflError(
      'invalid_argument',
      `--model must be logreg, mlp or a readable JSON model spec file: ${value}`,
      { cause },
    );
  }
}

function formatSummary(r: SimulationResult): string {
  const lines = [
    '',
    `job ${r.jobId} ${r.state} in ${r.seconds.toFixed(1)} s across ${r.sites.length} sites (${r.sites.join(', ')})`,
    r.he.insecure ? 'HE: OFF — plaintext comparison run, NOT private' : describeHe(r),
  ];
  if (r.final)
    lines.push(
      `final model: accuracy ${r.final.accuracy.toFixed(3)} (mean over the sites' held-out sets; pooled ${r.final.pooledAccuracy.toFixed(3)}), AUC ${r.final.auc.toFixed(3)}`,
    );
  if (r.dp) lines.push(...describeDp(r.dp));
  if (r.glm) lines.push(...formatGlmReport(r.glm));
  if (r.stats) lines.push(...formatStatsReport(r.stats));
  if (r.outDir)
    lines.push(`federation folder kept at ${r.outDir} (audit log: ${r.outDir}/coordinator/audit.jsonl)`);
  if (r.modelDir)
    lines.push(`final model: ${r.modelDir}/model.json + weights.bin (tf.loadLayersModel), model-card.json`);
  return `${lines.join('\n')}\n`;
}

function describeHe(r: SimulationResult): string {
  const { profile, bytesPerParam, parameters } = r.he;
  if (bytesPerParam === null || parameters === null) return `HE: ${profile}`;
  const note =
    parameters < 2048
      ? ` — this ${parameters}-parameter model fills a fraction of one 2048-slot ciphertext; large models approach 1.7x (see hefl bench he)`
      : '';
  return `HE: ${profile}, ${bytesPerParam.toFixed(2)} bytes per update value (${(bytesPerParam / 4).toFixed(2)}x float32)${note}`;
}

function describeDp(dp: NonNullable<SimulationResult['dp']>): string[] {
  const unit =
    dp.unit === 'record'
      ? 'record-level (one patient record; DP-SGD at each site, noise chosen per site)'
      : "site-level (one site's whole update per round)";
  const lines = [`differential privacy: ${unit}, delta ${dp.delta}`];
  for (const [site, a] of Object.entries(dp.sites)) {
    const sampling =
      a.samplingRate !== undefined
        ? `, sampling rate ${a.samplingRate.toPrecision(3)}, ${a.steps} steps, accountant epsilon ${a.epsilonAccounted?.toFixed(3)}`
        : '';
    lines.push(
      `  ${site}: epsilon ${a.epsilon} spent, noise multiplier ${a.noiseMultiplier.toFixed(3)}${sampling}`,
    );
  }
  return lines;
}
