import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../../client-node/in-process.js';
import { HeflError } from '../../common/errors/index.js';
import { parseJobSpec } from '../../common/job/job-spec.js';
import { startInProcessFederation, waitForSites } from '../harness/in-process-federation.js';
import { centralConfig, FED_METHODS, HEART_SETUPS, type HeartSetup, setupJob } from './flamby-setups.js';
import { type HeartCenter, loadHeartCenters } from './load-heart-centers.js';
import { FLAMBY_SPLIT_COLUMN, prepareFlambyBenchmarkCsvs } from './prepare-flamby-benchmark-csv.js';
import { prepareFlambyCsvs } from './prepare-flamby-csv.js';
import { replayFederation } from './replay-federation.js';
import { runFederatedJob } from './run-federated-job.js';
import { trainCentrally } from './train-centrally.js';

const USAGE = `usage: run-flamby-benchmark --data DIR [--setups a,b] [--seeds N] [--runs DIR] [--verify]
                            [--python PATH]
  --data DIR     folder with UCI's processed.{cleveland,hungarian,switzerland,va}.data
  --setups L     setup ids (default all): ${HEART_SETUPS.map((s) => s.id).join(', ')}
  --seeds N      seeds 0..N-1 (default 5)
  --runs DIR     where each setup's raw results go as <setup>.json (default experiments/results/heart-disease-runs)
  --verify       first run FLamby's setup (FedAvg under HE, seed 0) as a real 4-site gRPC federation
                 whose sites read the split column, compare its final model hash with the replay's,
                 and write only that (use it alone, without --setups)
  --python PATH  python with sklearn for FLamby's split (default /usr/bin/python3)
Write the report afterwards with experiments/heart-disease/write-flamby-report.ts.`;

export interface SeedRun {
  readonly seed: number;
  /** Accuracy per center of the pooled model; of local model i on every center. */
  readonly pooled?: number[];
  readonly local?: number[][];
  /** method id -> profile ('plain' | 'he') -> accuracy per center and the final weights. */
  readonly fed: Record<string, Record<string, { perCenter: number[]; weights: number[] }>>;
}

export interface SetupRun {
  readonly setup: HeartSetup;
  readonly seeds: SeedRun[];
  readonly seconds: number;
  readonly backend: string;
  readonly verification?: unknown;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      setups: { type: 'string' },
      seeds: { type: 'string', default: '5' },
      runs: { type: 'string', default: 'experiments/results/heart-disease-runs' },
      verify: { type: 'boolean', default: false },
      python: { type: 'string', default: '/usr/bin/python3' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.data) throw new HeflError('invalid_argument', `--data is required\n${USAGE}`);
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new HeflError('invalid_argument', '--seeds: a positive integer');
  const wanted = values.setups?.split(',').map((s) => s.trim());
  const setups = HEART_SETUPS.filter((s) => !wanted || wanted.includes(s.id));
  if (wanted && setups.length !== wanted.length)
    throw new HeflError('invalid_argument', `--setups: ${USAGE}`);
  const backend = await selectBackend();
  const dir = await mkdtemp(join(tmpdir(), 'hefl-flamby-'));
  const bench = await prepareFlambyBenchmarkCsvs(values.data, join(dir, 'flamby'), values.python);
  console.error(
    `FLamby split: ${bench.map((c) => `${c.center} ${c.rows - c.testRows}/${c.testRows}`).join(', ')}`,
  );
  await prepareFlambyCsvs(values.data, join(dir, 'hefl'));
  await mkdir(values.runs, { recursive: true });
  // Seed-major, each setup's file rewritten after every seed: an interrupted run keeps the
  // seeds it finished (the report states how many seeds each row has).
  const done = new Map<string, { runs: SeedRun[]; seconds: number }>(
    setups.map((s) => [s.id, { runs: [], seconds: 0 }]),
  );
  const save = async (setup: HeartSetup) => {
    const { runs, seconds } = done.get(setup.id)!;
    const run: SetupRun = { setup, seeds: runs, seconds, backend: backend.name };
    await writeFile(join(values.runs, `${setup.id}.json`), `${JSON.stringify(run)}\n`);
  };
  if (values.verify) {
    const setup = HEART_SETUPS.find((s) => s.id === 'flamby')!;
    const verification = await verify(
      setup,
      bench.map((c) => c.file),
    );
    await writeFile(join(values.runs, 'verification.json'), `${JSON.stringify(verification)}\n`);
    return;
  }
  for (let seed = 0; seed < seeds; seed++) {
    for (const setup of setups) {
      const started = performance.now();
      const entry = done.get(setup.id)!;
      entry.runs.push(await runSeed(setup, seed, join(dir, setup.encoding)));
      entry.seconds += (performance.now() - started) / 1000;
      console.error(`${setup.id} seed ${seed} done (${entry.seconds.toFixed(0)} s)`);
      await save(setup);
    }
  }
}

async function runSeed(setup: HeartSetup, seed: number, csvDir: string): Promise<SeedRun> {
  const base = parseJobSpec(setupJob(setup, undefined, false, seed));
  const splitColumn = setup.split === 'flamby' ? FLAMBY_SPLIT_COLUMN : undefined;
  const centers: HeartCenter[] = await loadHeartCenters(csvDir, base, splitColumn);
  const fed: SeedRun['fed'] = {};
  for (const id of setup.methods) {
    const method = FED_METHODS.find((m) => m.id === id)!;
    fed[id] = {};
    for (const he of setup.he ? [false, true] : [false]) {
      const replay = await replayFederation(parseJobSpec(setupJob(setup, method, he, seed)), centers);
      fed[id][he ? 'he' : 'plain'] = {
        perCenter: replay.perCenterAccuracy,
        weights: Array.from(replay.weights),
      };
    }
  }
  if (!setup.baselines) return { seed, fed };
  const config = centralConfig(setup, seed);
  const local = await trainCentrally('local', base, centers, config);
  const [pooled] = await trainCentrally('pooled', base, centers, config);
  return { seed, pooled: pooled!, local, fed };
}

/**
 * FLamby's setup through the real site node: 4 sites over gRPC, each reading its CSV with
 * `splitColumn` (as `hefl site start --split-column split`), under HE. The final model hash
 * every site signed must equal the replay's; the sites' data reports must say `column`.
 */
async function verify(setup: HeartSetup, files: string[]) {
  const fed = await startInProcessFederation({
    sites: 4,
    dataSources: files.map((path) => ({ path, splitColumn: FLAMBY_SPLIT_COLUMN })),
  });
  const checks = [];
  try {
    await waitForSites(fed);
    for (const id of ['fedavg']) {
      const method = FED_METHODS.find((m) => m.id === id)!;
      const job = parseJobSpec(setupJob(setup, method, true, 0));
      const centers = await loadHeartCenters(join(files[0]!, '..'), job, FLAMBY_SPLIT_COLUMN);
      const replay = await replayFederation(job, centers);
      const real = await runFederatedJob(fed, job, 1_200_000);
      checks.push({
        method: id,
        seed: 0,
        modelHashMatches: real.modelHash === replay.modelHash,
        federationPooledAccuracy: real.pooledAccuracy,
        replayPooledAccuracy: replay.pooledAccuracy,
        wallSeconds: real.wallSeconds,
      });
      console.error(`verify ${id}: hash ${real.modelHash === replay.modelHash ? 'matches' : 'DIFFERS'}`);
    }
    const splits = fed.logs
      .filter((l) => l.event === 'data.loaded')
      .map((l) => (l.fields as { split?: unknown }).split);
    return { checks, siteSplits: splits };
  } finally {
    await fed.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof HeflError && error.code.startsWith('invalid') ? 2 : 1);
});
