import type { JobSpec } from '../../common/job/job-spec.js';
import type { TransformedTable } from '../data/index.js';
import type { RecordDpPlan } from '../privacy/record-dp-plan.js';
import type { Trainer } from '../training/index.js';
import { trainingConfigFor } from '../training-config-for.js';

/** The plaintext result of one round of local training; never leaves the site as is. */
export interface LocalDelta {
  /** Local minus global weights, one value per model parameter. */
  readonly delta: Float32Array;
  /** Training examples used (the FedAvg weight before the cap). */
  readonly samples: number;
  readonly meanLoss: number;
}

/**
 * Trains the global model on the site's training split for one round (under DP-SGD when
 * the job protects records) and returns the change to the weights.
 */
export async function trainLocalDelta(
  trainer: Trainer,
  job: {
    readonly spec: JobSpec;
    readonly round: number;
    readonly global: Float32Array;
    readonly train: TransformedTable;
    readonly dpSgd: RecordDpPlan | null;
  },
): Promise<LocalDelta> {
  const { spec, global, train, dpSgd } = job;
  const result = await trainer.train({
    spec: spec.model,
    inputDim: train.cols,
    globalWeights: global,
    ...train,
    config: trainingConfigFor(spec, job.round),
    ...(dpSgd
      ? {
          dpSgd: {
            clipNorm: dpSgd.clipNorm,
            noiseMultiplier: dpSgd.noiseMultiplier,
            samplingRate: dpSgd.samplingRate,
            steps: dpSgd.stepsPerRound,
          },
        }
      : {}),
  });
  const delta = new Float32Array(global.length);
  for (let i = 0; i < delta.length; i++) delta[i] = result.weights[i]! - global[i]!;
  return { delta, samples: result.samples, meanLoss: result.meanLoss };
}
