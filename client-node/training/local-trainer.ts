import * as tf from '@tensorflow/tfjs';
import { cryptoNoiseSource, seededNoiseSource } from '../../common/dp/noise-source.js';
import { HeflError } from '../../common/errors/index.js';
import { parameterCount } from '../../common/job/model-spec.js';
import { parseTrainingConfig } from '../../common/job/training-config.js';
import { checkDataset } from './check-dataset.js';
import type { DpSgdSettings } from './dp-sgd-settings.js';
import { type DpSgdInput, trainWithDpSgd } from './dp-sgd-trainer.js';
import { buildModel, getFlatWeights, setFlatWeights } from './model-builder.js';

/** Probabilities are clipped to [EPSILON, 1 - EPSILON] before the log, as Keras does. */
export const BCE_EPSILON = 1e-7;

/**
 * One site's local training job for one round. `x` is row-major (`rows` x `cols`, already
 * normalised), `y` holds 0/1 labels. The arrays are only read, never kept or modified.
 */
export interface LocalTrainingInput extends DpSgdInput {
  /**
   * Record-level DP: train with DP-SGD under these settings (their `steps` replace the
   * config's epochs/steps). Unset: plain mini-batch training.
   */
  readonly dpSgd?: DpSgdSettings | undefined;
}

export interface LocalTrainingResult {
  /** The locally trained weights (a new array, same layout as `globalWeights`). */
  readonly weights: Float32Array;
  /** Local training examples (`rows`): the FedAvg weight of this site's update. */
  readonly samples: number;
  /** Binary cross-entropy per example seen during training (without the proximal term). */
  readonly meanLoss: number;
}

/**
 * Trains the global model on local data with mini-batch SGD or Adam and returns the new
 * weights. Deterministic: batches come from a permutation seeded by `config.seed`, so the
 * same input gives bit-identical weights on the same backend. Every tensor created here is
 * disposed before returning, also on failure. Bad input throws HeflError 'invalid_argument'
 * (messages name sizes and indexes, never values).
 */
export async function trainLocally(input: LocalTrainingInput): Promise<LocalTrainingResult> {
  const config = parseTrainingConfig(input.config);
  checkDataset(input, 'local training', 1);
  const expected = parameterCount(input.spec, input.inputDim);
  if (input.globalWeights.length !== expected) {
    throw new HeflError(
      'invalid_argument',
      `local training: global weights have ${input.globalWeights.length} values, the model needs ${expected}`,
    );
  }
  if (input.dpSgd !== undefined) {
    const { insecureSeed } = input.dpSgd;
    const random = insecureSeed === undefined ? cryptoNoiseSource() : seededNoiseSource(insecureSeed);
    const result = await trainWithDpSgd({ ...input, config }, input.dpSgd, random);
    return { weights: result.weights, samples: result.samples, meanLoss: result.meanLoss };
  }
  const { rows, cols } = input;
  const batchSize = Math.min(config.batchSize, rows);
  const batchesPerPass = Math.ceil(rows / batchSize);
  const totalSteps = config.steps ?? (config.epochs ?? 1) * batchesPerPass;
  const mu = config.proximalMu ?? 0;

  const model = buildModel(input.spec, input.inputDim, 0);
  const optimizer: tf.Optimizer =
    config.optimizer === 'adam' ? tf.train.adam(config.learningRate) : tf.train.sgd(config.learningRate);
  const anchors: tf.Tensor[] = [];
  let lossSum: tf.Scalar = tf.scalar(0);
  try {
    setFlatWeights(model, input.globalWeights);
    // A LayerVariable reads as the tf.Variable the optimizer updates.
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    if (mu > 0) for (const variable of variables) anchors.push(tf.clone(variable));

    const random = mulberry32(config.seed);
    let order = permutation(rows, random);
    const batchX = new Float32Array(batchSize * cols);
    const batchY = new Float32Array(batchSize);
    let seen = 0;
    for (let step = 0; step < totalSteps; step++) {
      const start = (step % batchesPerPass) * batchSize;
      if (step > 0 && start === 0) order = permutation(rows, random);
      const n = Math.min(batchSize, rows - start);
      seen += n;
      for (let i = 0; i < n; i++) {
        const row = order[start + i]!;
        batchX.set(input.x.subarray(row * cols, (row + 1) * cols), i * cols);
        batchY[i] = input.y[row]!;
      }
      const previous = lossSum;
      lossSum = tf.tidy(() => {
        const xs = tf.tensor2d(batchX.slice(0, n * cols), [n, cols]);
        const ys = tf.tensor2d(batchY.slice(0, n), [n, 1]);
        let dataLoss: tf.Scalar | undefined;
        const { grads } = tf.variableGrads(() => {
          const probabilities = model.apply(xs, { training: true }) as tf.Tensor;
          const bce = meanBinaryCrossEntropy(ys, probabilities);
          dataLoss = tf.keep(bce);
          return mu > 0 ? bce.add(proximalTerm(variables, anchors, mu)) : bce;
        }, variables);
        optimizer.applyGradients(grads);
        const kept = dataLoss!;
        const next = previous.add(kept.mul(n)) as tf.Scalar;
        kept.dispose(); // kept tensors escape tidy, so free it by hand
        return next;
      });
      previous.dispose();
    }
    const weights = getFlatWeights(model);
    const meanLoss = (await lossSum.data())[0]! / seen;
    return { weights, samples: rows, meanLoss };
  } finally {
    lossSum.dispose();
    tf.dispose(anchors);
    optimizer.dispose();
    model.dispose();
  }
}

/** Mean over the batch of -[y ln p + (1 - y) ln(1 - p)], p clipped away from 0 and 1. */
function meanBinaryCrossEntropy(labels: tf.Tensor, probabilities: tf.Tensor): tf.Scalar {
  const p = probabilities.clipByValue(BCE_EPSILON, 1 - BCE_EPSILON);
  const perExample = labels.mul(p.log()).add(tf.scalar(1).sub(labels).mul(tf.scalar(1).sub(p).log()));
  return perExample.mean().neg() as tf.Scalar;
}

/** FedProx: mu/2 * sum over all weights of (w - w_global)^2. */
function proximalTerm(variables: tf.Variable[], anchors: tf.Tensor[], mu: number): tf.Scalar {
  const squares = variables.map((variable, k) => tf.squaredDifference(variable, anchors[k]!).sum());
  return tf.addN(squares).mul(mu / 2) as tf.Scalar;
}

/** Small, fast, well-distributed 32-bit PRNG; the same seed gives the same stream everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of 0..n-1. */
function permutation(n: number, random: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}
