import { HeflError } from '../../common/errors/index.js';

/**
 * Evaluation results as plain sums, so sites can add theirs under encryption and nobody
 * sees a single site's numbers. Histograms count examples by predicted probability of the
 * positive class: bin b holds p in [b / bins, (b + 1) / bins), p = 1 falls in the last bin.
 */
export interface EvaluationSums {
  readonly count: number;
  /** Examples whose thresholded prediction (p >= 0.5) equals the label. */
  readonly correct: number;
  /** Sum of per-example binary cross-entropy (natural log). */
  readonly lossSum: number;
  /** Predicted probabilities of the examples whose true label is 1. */
  readonly positiveHistogram: Float64Array;
  /** Predicted probabilities of the examples whose true label is 0. */
  readonly negativeHistogram: Float64Array;
}

export interface EvaluationMetrics {
  /** correct / count; NaN when count is 0. */
  readonly accuracy: number;
  /**
   * Area under the ROC curve from the summed histograms: the ROC curve through the bin
   * edges, joined by straight lines (trapezoids). Equivalently, the Mann-Whitney statistic
   * where a positive and a negative in the same bin count as a tie (one half). The error
   * against the exact AUC is at most half the fraction of (positive, negative) pairs that
   * share a bin, and in practice far smaller (below 0.01 with 100 bins). NaN when one class
   * is absent.
   */
  readonly auc: number;
  /** lossSum / count: mean binary cross-entropy; NaN when count is 0. */
  readonly loss: number;
}

/** Sums of zero examples with `bins` histogram bins. */
export function emptyEvaluationSums(bins: number): EvaluationSums {
  checkBins(bins);
  return {
    count: 0,
    correct: 0,
    lossSum: 0,
    positiveHistogram: new Float64Array(bins),
    negativeHistogram: new Float64Array(bins),
  };
}

/** Element-wise sum of two sites' results (what the encrypted aggregate computes). */
export function addEvaluationSums(a: EvaluationSums, b: EvaluationSums): EvaluationSums {
  if (a.positiveHistogram.length !== b.positiveHistogram.length) {
    throw new HeflError('invalid_argument', 'cannot add evaluation sums with different bin counts');
  }
  const sum = toVector(a);
  const other = toVector(b);
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + other[i]!;
  return fromVector(sum, a.positiveHistogram.length);
}

/** Accuracy, AUC and mean loss from (possibly summed) evaluation results. Pure. */
export function metricsFromSums(sums: EvaluationSums): EvaluationMetrics {
  const { count, correct, lossSum, positiveHistogram: pos, negativeHistogram: neg } = sums;
  let positives = 0;
  let negatives = 0;
  for (let b = 0; b < pos.length; b++) {
    positives += pos[b]!;
    negatives += neg[b]!;
  }
  // Walk thresholds from the highest bin down; each negative ranks below every positive
  // in a higher bin and ties with the positives in its own bin.
  let positivesAbove = 0;
  let pairsWon = 0;
  for (let b = pos.length - 1; b >= 0; b--) {
    pairsWon += neg[b]! * (positivesAbove + pos[b]! / 2);
    positivesAbove += pos[b]!;
  }
  return {
    accuracy: count > 0 ? correct / count : Number.NaN,
    auc: positives > 0 && negatives > 0 ? pairsWon / (positives * negatives) : Number.NaN,
    loss: count > 0 ? lossSum / count : Number.NaN,
  };
}

/**
 * Flattens sums for encrypted addition. Layout (length 3 + 2 * bins):
 * [count, correct, lossSum, positiveHistogram[0..bins), negativeHistogram[0..bins)].
 */
export function toVector(sums: EvaluationSums): Float64Array {
  const bins = sums.positiveHistogram.length;
  if (sums.negativeHistogram.length !== bins) {
    throw new HeflError('invalid_argument', 'evaluation histograms have different bin counts');
  }
  const vector = new Float64Array(3 + 2 * bins);
  vector[0] = sums.count;
  vector[1] = sums.correct;
  vector[2] = sums.lossSum;
  vector.set(sums.positiveHistogram, 3);
  vector.set(sums.negativeHistogram, 3 + bins);
  return vector;
}

/** Inverse of `toVector`; copies, so the result does not alias `vector`. */
export function fromVector(vector: ArrayLike<number>, bins: number): EvaluationSums {
  checkBins(bins);
  if (vector.length !== 3 + 2 * bins) {
    throw new HeflError(
      'invalid_argument',
      `evaluation vector has ${vector.length} values, expected 3 + 2 x ${bins} bins = ${3 + 2 * bins}`,
    );
  }
  const values = Float64Array.from(vector);
  return {
    count: values[0]!,
    correct: values[1]!,
    lossSum: values[2]!,
    positiveHistogram: values.slice(3, 3 + bins),
    negativeHistogram: values.slice(3 + bins),
  };
}

function checkBins(bins: number): void {
  if (!Number.isInteger(bins) || bins < 1 || bins > 100_000) {
    throw new HeflError('invalid_argument', `histogram bins must be an integer in 1..100000, got ${bins}`);
  }
}
