import * as tf from '@tensorflow/tfjs';
import type { RandomSource } from '../../common/dp/noise-source.js';
import { HeflError } from '../../common/errors/index.js';
import { type ModelSpec, weightLayoutOf } from '../../common/job/model-spec.js';
import type { TrainingConfig } from '../../common/job/training-config.js';
import { clippedGradientSum, type DenseParams } from './clipped-gradient-sum.js';
import type { DpSgdSettings } from './dp-sgd-settings.js';

/**
 * One site's training data for one round. `x` is row-major (`rows` x `cols`, already
 * normalised), `y` holds 0/1 labels; the arrays are only read, never kept or modified.
 */
export interface DpSgdInput {
  readonly spec: ModelSpec;
  readonly inputDim: number;
  /** The round's global model, flat in `weightLayout` order; training starts here. */
  readonly globalWeights: Float32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly config: TrainingConfig;
}

export interface DpSgdResult {
  readonly weights: Float32Array;
  readonly samples: number;
  /** Mean BCE over the examples the steps sampled (a local diagnostic; not covered by DP). */
  readonly meanLoss: number;
  /** Examples the steps sampled in total (their count is not covered by DP either: site log only). */
  readonly sampled: number;
}

/**
 * DP-SGD (Abadi et al. 2016) for one round at one site: `dp.steps` steps, each on a
 * Poisson-sampled batch (every record independently with probability q), whose per-example
 * gradients are clipped to L2 norm C and summed (`clippedGradientSum`), then
 * N(0, (sigma C)^2) noise is added to every coordinate of the sum, which is divided by the
 * expected batch size q x rows and handed to SGD or Adam (post-processing). FedProx's
 * proximal gradient mu (w - w_global) does not depend on the data and is added after the
 * noise. Sampling and noise come from `random` (a CSPRNG at real sites). Every tensor is
 * disposed before returning, also on failure.
 */
export async function trainWithDpSgd(
  input: DpSgdInput,
  dp: DpSgdSettings,
  random: RandomSource,
): Promise<DpSgdResult> {
  checkSettings(dp);
  const { rows, cols, config } = input;
  const layout = weightLayoutOf(input.spec, input.inputDim);
  const variables = layout.map((entry) =>
    tf.tidy(() =>
      tf.variable(
        tf.tensor(input.globalWeights.slice(entry.offset, entry.offset + entry.size), [...entry.shape]),
      ),
    ),
  );
  const anchors = (config.proximalMu ?? 0) > 0 ? variables.map((v) => tf.clone(v)) : [];
  const optimizer: tf.Optimizer =
    config.optimizer === 'adam' ? tf.train.adam(config.learningRate) : tf.train.sgd(config.learningRate);
  const params: DenseParams = {
    kernels: variables.filter((_, i) => i % 2 === 0) as tf.Variable<tf.Rank.R2>[],
    biases: variables.filter((_, i) => i % 2 === 1) as tf.Variable<tf.Rank.R1>[],
    hiddenActivation: input.spec.kind === 'mlp' ? input.spec.activation : 'relu',
  };
  const parameterCount = input.globalWeights.length;
  const noiseStddev = dp.noiseMultiplier * dp.clipNorm;
  const expectedBatch = dp.samplingRate * rows;
  const batchX = new Float32Array(rows * cols);
  const batchY = new Float32Array(rows);
  const noise = new Float32Array(parameterCount);
  let lossSum = 0;
  let sampled = 0;
  try {
    for (let step = 0; step < dp.steps; step++) {
      let n = 0;
      for (let row = 0; row < rows; row++) {
        if (random.nextUniform() < dp.samplingRate) {
          batchX.set(input.x.subarray(row * cols, (row + 1) * cols), n * cols);
          batchY[n] = input.y[row]!;
          n++;
        }
      }
      for (let i = 0; i < parameterCount; i++) noise[i] = noiseStddev * random.nextGaussian();
      sampled += n;
      const stepLoss = tf.tidy((): tf.Scalar | undefined => {
        const sums =
          n === 0
            ? null
            : clippedGradientSum(
                params,
                tf.tensor2d(batchX.subarray(0, n * cols), [n, cols]),
                tf.tensor2d(batchY.subarray(0, n), [n, 1]),
                dp.clipNorm,
              );
        const grads: tf.NamedTensorMap = {};
        variables.forEach((variable, k) => {
          const entry = layout[k]!;
          const sum = sums === null ? null : k % 2 === 0 ? sums.kernels[k / 2]! : sums.biases[(k - 1) / 2]!;
          const noisy = tf.tensor(noise.subarray(entry.offset, entry.offset + entry.size), [...entry.shape]);
          let grad = (sum === null ? noisy : sum.add(noisy)).div(expectedBatch);
          if (anchors.length > 0) grad = grad.add(variable.sub(anchors[k]!).mul(config.proximalMu ?? 0));
          grads[variable.name] = grad;
        });
        optimizer.applyGradients(grads);
        return sums === null ? undefined : sums.lossSum;
      });
      if (stepLoss !== undefined) {
        lossSum += (await stepLoss.data())[0]!;
        stepLoss.dispose();
      }
    }
    const weights = new Float32Array(parameterCount);
    variables.forEach((variable, k) => {
      weights.set(variable.dataSync() as Float32Array, layout[k]!.offset);
    });
    return { weights, samples: rows, meanLoss: sampled > 0 ? lossSum / sampled : Number.NaN, sampled };
  } finally {
    optimizer.dispose();
    tf.dispose(anchors);
    tf.dispose(variables);
  }
}

function checkSettings(dp: DpSgdSettings): void {
  const problems: string[] = [];
  if (!(dp.clipNorm > 0 && Number.isFinite(dp.clipNorm))) problems.push('clipNorm must be finite and > 0');
  if (!(dp.noiseMultiplier > 0 && Number.isFinite(dp.noiseMultiplier)))
    problems.push('noiseMultiplier must be finite and > 0');
  if (!(dp.samplingRate > 0 && dp.samplingRate <= 1)) problems.push('samplingRate must be in (0, 1]');
  if (!(Number.isSafeInteger(dp.steps) && dp.steps >= 1)) problems.push('steps must be a positive integer');
  if (problems.length > 0) throw new HeflError('invalid_argument', `DP-SGD: ${problems.join('; ')}`);
}
