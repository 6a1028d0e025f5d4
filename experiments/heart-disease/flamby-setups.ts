import type { TrainingConfig } from '../../client-node/in-process.js';
import type { JobSpecInput } from '../../common/job/job-spec.js';
import type { StrategyConfigInput } from '../../common/job/strategy-config.js';
import { FLAMBY_BENCHMARK_FEATURES } from './prepare-flamby-benchmark-csv.js';

/**
 * One way of running the Fed-Heart-Disease benchmark. `flamby` values are FLamby's
 * (flamby/datasets/fed_heart_disease, flamby/config_heart_disease.json, fed_benchmark.py);
 * `hefl` values are hefl's recommended settings (experiments/heart-disease/heart-methods.ts).
 */
export interface HeartSetup {
  readonly id: string;
  readonly label: string;
  /** `flamby`: FLamby's fixed split through the sites' split column; `seeded`: hefl's per-seed split. */
  readonly split: 'flamby' | 'seeded';
  readonly scaling: 'per-site' | 'global';
  readonly init: 'pytorch-linear' | 'glorot-uniform';
  /** `flamby`: 15 rounds x 100 local SGD steps with FLamby's rates, pooled/local Adam 50 epochs. */
  readonly training: 'flamby' | 'hefl';
  /** `flamby`: FLamby's drop-first dummies of cp and restecg (13 numeric features); `hefl`: hashed one-hot. */
  readonly encoding: 'flamby' | 'hefl';
  /** Federated methods run (ids of FED_METHODS) and whether HE twins are run too. */
  readonly methods: readonly string[];
  readonly he: boolean;
  readonly baselines: boolean;
}

const FLAMBY_SETUP = {
  split: 'flamby',
  scaling: 'per-site',
  init: 'pytorch-linear',
  training: 'flamby',
  encoding: 'flamby',
} as const;
const ABLATED = ['fedavg', 'fedadam', 'fedyogi'];

export const HEART_SETUPS: readonly HeartSetup[] = [
  {
    id: 'flamby',
    label: "FLamby's setup",
    ...FLAMBY_SETUP,
    methods: ['fedavg', 'fedprox', 'fedadam', 'fedyogi'],
    he: true,
    baselines: true,
  },
  ablation('glorot', 'FLamby setup, Glorot init', { init: 'glorot-uniform' }),
  ablation('global-scaling', 'FLamby setup, global scaling', { scaling: 'global' }),
  ablation('seeded-split', 'FLamby setup, seeded split', { split: 'seeded' }),
  ablation('hefl-training', "FLamby setup, hefl's training settings", { training: 'hefl' }),
  {
    id: 'hefl',
    label: "hefl's recommended setup",
    split: 'seeded',
    scaling: 'global',
    init: 'glorot-uniform',
    training: 'hefl',
    encoding: 'hefl',
    methods: ['fedavg', 'fedprox', 'fedadam', 'fedyogi'],
    he: true,
    baselines: true,
  },
];

function ablation(id: string, label: string, change: Partial<HeartSetup>): HeartSetup {
  return { id, label, ...FLAMBY_SETUP, ...change, methods: ABLATED, he: false, baselines: true };
}

/** A federated strategy with FLamby's tuned settings and hefl's. */
export interface FedMethod {
  readonly id: string;
  readonly name: string;
  /** FLamby's config_heart_disease.json: the local SGD learning rate and the server side. */
  readonly flamby: { readonly learningRate: number; readonly strategy: StrategyConfigInput };
  readonly hefl: StrategyConfigInput;
}

const FLAMBY_ADAPTIVE = { beta1: 0.9, beta2: 0.999, tau: 1e-8 };
/** hefl's adaptive server learning rate (experiments/heart-disease/heart-methods.ts). */
const HEFL_ETA = 0.1;

export const FED_METHODS: readonly FedMethod[] = [
  {
    id: 'fedavg',
    name: 'FedAvg',
    flamby: { learningRate: 0.001, strategy: { name: 'fedavg' } },
    hefl: { name: 'fedavg' },
  },
  {
    id: 'fedprox',
    name: 'FedProx',
    flamby: { learningRate: 0.001, strategy: { name: 'fedprox', proximalMu: 0.01 } },
    hefl: { name: 'fedprox', proximalMu: 0.01 },
  },
  {
    id: 'fedadam',
    name: 'FedAdam',
    flamby: {
      learningRate: 0.01,
      strategy: { name: 'fedadam', serverLearningRate: 0.01, ...FLAMBY_ADAPTIVE },
    },
    hefl: { name: 'fedadam', serverLearningRate: HEFL_ETA },
  },
  {
    id: 'fedyogi',
    name: 'FedYogi',
    flamby: {
      learningRate: 0.003162,
      strategy: { name: 'fedyogi', serverLearningRate: 0.01, ...FLAMBY_ADAPTIVE },
    },
    hefl: { name: 'fedyogi', serverLearningRate: HEFL_ETA },
  },
  {
    id: 'fedadagrad',
    name: 'FedAdagrad',
    flamby: {
      learningRate: 0.003162,
      strategy: { name: 'fedadagrad', serverLearningRate: 0.316228, beta1: 0.9, tau: 1e-8 },
    },
    hefl: { name: 'fedadagrad', serverLearningRate: HEFL_ETA },
  },
];

export const HE_PROFILE = 'bgv-n2048-q54-t38/v1';
export const PLAIN_PROFILE = 'plaintext-insecure/v1';
/** FLamby: get_nb_max_rounds(100) = (486 // 4 // 4) * 50 // 100 = 15 rounds of 100 local steps. */
export const FLAMBY_ROUNDS = 15;
export const FLAMBY_LOCAL_STEPS = 100;
const HEFL_ROUNDS = 20;

/** The job of one federated method (or, with `method` undefined, the baselines' job). */
export function setupJob(
  setup: HeartSetup,
  method: FedMethod | undefined,
  he: boolean,
  seed: number,
): JobSpecInput {
  const flamby = setup.training === 'flamby';
  return {
    name: `fed-heart-${setup.id}-${method?.id ?? 'central'}`,
    model: {
      kind: 'logreg',
      ...(setup.init === 'pytorch-linear' ? { init: 'pytorch-linear' as const } : {}),
    },
    rounds: flamby ? FLAMBY_ROUNDS : HEFL_ROUNDS,
    minSites: 4,
    maxSites: 4,
    weightCap: 1000,
    data: {
      label: 'num',
      ...(setup.encoding === 'flamby'
        ? { features: [...FLAMBY_BENCHMARK_FEATURES], categorical: [] }
        : { categorical: ['cp', 'restecg'] }),
      testFraction: 0.34,
      ...(setup.scaling === 'per-site' ? { scaling: 'per-site' as const } : {}),
    },
    local: flamby
      ? {
          steps: FLAMBY_LOCAL_STEPS,
          batchSize: 4,
          learningRate: method?.flamby.learningRate ?? 0.001,
          optimizer: 'sgd',
        }
      : { epochs: 1, batchSize: 4, learningRate: 0.01, optimizer: 'sgd' },
    strategy: method ? (flamby ? method.flamby.strategy : method.hefl) : { name: 'fedavg' },
    he: { profile: he ? HE_PROFILE : PLAIN_PROFILE, clipRange: 1 },
    recruitSeconds: 20,
    roundDeadlineSeconds: 300,
    seed,
  };
}

/** Pooled and local-only training: FLamby's Adam, lr 0.001, batch 4, 50 epochs; or hefl's SGD for 20 epochs. */
export function centralConfig(setup: HeartSetup, seed: number): TrainingConfig {
  return setup.training === 'flamby'
    ? { epochs: 50, batchSize: 4, learningRate: 0.001, optimizer: 'adam', seed }
    : { epochs: HEFL_ROUNDS, batchSize: 4, learningRate: 0.01, optimizer: 'sgd', seed };
}

/** A row's settings as the results table states them. */
export function describeSetup(setup: HeartSetup, method: FedMethod | undefined): Record<string, string> {
  const flamby = setup.training === 'flamby';
  const optimiser = !method
    ? flamby
      ? 'Adam lr 0.001, batch 4'
      : 'SGD lr 0.01, batch 4'
    : flamby
      ? `local SGD lr ${method.flamby.learningRate}, batch 4; server ${serverText(method.flamby.strategy)}`
      : `local SGD lr 0.01, batch 4; server ${serverText(method.hefl)}`;
  return {
    split:
      setup.split === 'flamby' ? 'FLamby fixed (sklearn, random_state 43)' : 'hefl seeded 66/34 per seed',
    normalisation: setup.scaling === 'per-site' ? 'per center (own train stats)' : 'global (encrypted sums)',
    init: setup.init === 'pytorch-linear' ? 'PyTorch nn.Linear' : 'Glorot, zero bias',
    encoding: setup.encoding === 'flamby' ? 'drop-first dummies (13 features)' : 'hashed one-hot',
    optimiser,
    steps: !method
      ? flamby
        ? '50 epochs'
        : '20 epochs'
      : flamby
        ? `${FLAMBY_ROUNDS} rounds x ${FLAMBY_LOCAL_STEPS} steps`
        : `${HEFL_ROUNDS} rounds x 1 epoch`,
  };
}

function serverText(s: StrategyConfigInput): string {
  if (s.name === 'fedavg') return 'weighted mean';
  if (s.name === 'fedprox') return `weighted mean, mu ${s.proximalMu}`;
  return `${s.name} eta ${s.serverLearningRate}${s.tau !== undefined ? `, tau ${s.tau}` : ''}`;
}
