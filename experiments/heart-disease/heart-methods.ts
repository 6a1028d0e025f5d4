import type { JobSpecInput } from '../../common/job/job-spec.js';
import type { StrategyConfigInput } from '../../common/job/strategy-config.js';

/** One row of the comparison: how the model is trained and under which protection. */
export interface HeartMethod {
  readonly name: string;
  readonly kind: 'local' | 'pooled' | 'federated';
  readonly strategy: string;
  readonly he: boolean;
  readonly dpEpsilon: number | null;
  /** Federated methods: the job's strategy and HE profile. */
  readonly job?: { strategy: StrategyConfigInput; profile: string };
}

const HE = 'bgv-n2048-q54-t38/v1';
const PLAIN = 'plaintext-insecure/v1';
/** Server learning rate of the adaptive strategies (tuned once on seed 0, see README). */
export const ADAPTIVE_ETA = 0.1;

/** The methods of the Fed-Heart-Disease comparison, in table order. */
export function heartMethods(dpEpsilons: readonly number[]): HeartMethod[] {
  const fed = (name: string, strategy: StrategyConfigInput, profile: string): HeartMethod => ({
    name,
    kind: 'federated',
    strategy: strategy.name,
    he: profile !== PLAIN,
    dpEpsilon: null,
    job: { strategy, profile },
  });
  return [
    { name: 'Local (own center)', kind: 'local', strategy: 'none', he: false, dpEpsilon: null },
    { name: 'Pooled (centralised)', kind: 'pooled', strategy: 'none', he: false, dpEpsilon: null },
    fed('FedAvg, plaintext', { name: 'fedavg' }, PLAIN),
    fed('FedAvg, HE', { name: 'fedavg' }, HE),
    fed('FedAdam, HE', { name: 'fedadam', serverLearningRate: ADAPTIVE_ETA }, HE),
    fed('FedYogi, HE', { name: 'fedyogi', serverLearningRate: ADAPTIVE_ETA }, HE),
    fed('FedAdagrad, HE', { name: 'fedadagrad', serverLearningRate: ADAPTIVE_ETA }, HE),
    fed('FedProx, HE', { name: 'fedprox', proximalMu: 0.01 }, HE),
    ...dpEpsilons.map((epsilon) => ({
      ...fed(`FedAvg, HE + site-level DP (replay only)`, { name: 'fedavg' }, HE),
      name: `FedAvg, HE + DP eps=${epsilon} (replay only)`,
      dpEpsilon: epsilon,
    })),
  ];
}

/** The job all federated methods share, varied by strategy, profile and seed. */
export function heartJobInput(
  method: HeartMethod,
  seed: number,
  rounds: number,
  local: NonNullable<JobSpecInput['local']>,
): JobSpecInput {
  return {
    name: `fed-heart-${method.strategy}`,
    model: { kind: 'logreg' },
    rounds,
    minSites: 4,
    maxSites: 4,
    weightCap: 1000,
    data: { label: 'num', categorical: ['cp', 'restecg'], testFraction: 0.34 },
    local,
    strategy: method.job?.strategy ?? { name: 'fedavg' },
    he: { profile: method.job?.profile ?? HE, clipRange: 1 },
    recruitSeconds: 20,
    roundDeadlineSeconds: 120,
    seed,
  };
}
