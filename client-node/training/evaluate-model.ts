import * as tf from '@tensorflow/tfjs';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import { checkDataset } from './check-dataset.js';
import type { EvaluationSums } from './evaluation-sums.js';
import { BCE_EPSILON } from './local-trainer.js';
import { buildModel, setFlatWeights } from './model-builder.js';

/** A model (as flat weights) and local held-out data; `x` is row-major `rows` x `cols`. */
export interface EvaluationInput {
  readonly spec: ModelSpec;
  readonly inputDim: number;
  readonly weights: Float32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** Histogram resolution for the AUC; all sites of a job must use the same. Default 100. */
  readonly bins?: number;
}

/** Rows per forward pass: bounds tensor memory on large sites. */
const CHUNK_ROWS = 4096;

/**
 * Runs the model over local data and returns summable results (see EvaluationSums); turn
 * them into metrics with `metricsFromSums` after (encrypted) aggregation. Every tensor is
 * disposed before returning. Bad input throws HeflError 'invalid_argument'.
 */
export function evaluateModel(input: EvaluationInput): EvaluationSums {
  const { rows, cols, x, y } = input;
  const bins = input.bins ?? 100;
  if (!Number.isInteger(bins) || bins < 1 || bins > 100_000) {
    throw new HeflError('invalid_argument', `evaluation: bins must be an integer in 1..100000, got ${bins}`);
  }
  checkDataset(input, 'evaluation', 0);
  const positiveHistogram = new Float64Array(bins);
  const negativeHistogram = new Float64Array(bins);
  let correct = 0;
  let lossSum = 0;

  const model = buildModel(input.spec, input.inputDim, 0);
  try {
    setFlatWeights(model, input.weights);
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - start);
      const probabilities = tf.tidy(() => {
        const xs = tf.tensor2d(x.slice(start * cols, (start + n) * cols), [n, cols]);
        return (model.predict(xs) as tf.Tensor).dataSync();
      });
      for (let i = 0; i < n; i++) {
        const p = probabilities[i]!;
        const label = y[start + i]!;
        const clipped = Math.min(Math.max(p, BCE_EPSILON), 1 - BCE_EPSILON);
        lossSum -= label === 1 ? Math.log(clipped) : Math.log(1 - clipped);
        if (p >= 0.5 === (label === 1)) correct++;
        const bin = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
        (label === 1 ? positiveHistogram : negativeHistogram)[bin]! += 1;
      }
    }
  } finally {
    model.dispose();
  }
  return { count: rows, correct, lossSum, positiveHistogram, negativeHistogram };
}
