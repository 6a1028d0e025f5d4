import type { JobSpec } from '../common/job/job-spec.js';
import type { TrainingConfig } from '../common/job/training-config.js';

/**
 * The local training settings of round `round` of a job, identical at every site: the
 * job's local settings, FedProx's proximal term when the strategy asks for it, and a
 * per-round shuffling seed derived from the job seed.
 */
export function trainingConfigFor(spec: JobSpec, round: number): TrainingConfig {
  const { local, strategy, seed } = spec;
  return {
    ...(local.steps !== undefined ? { steps: local.steps } : { epochs: local.epochs ?? 1 }),
    batchSize: local.batchSize,
    learningRate: local.learningRate,
    optimizer: local.optimizer,
    ...(strategy.name === 'fedprox' ? { proximalMu: strategy.proximalMu ?? 0.01 } : {}),
    seed: (seed + round * 7919) >>> 0,
  };
}
