import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import {
  addEvaluationSums,
  type EvaluationSums,
  emptyEvaluationSums,
  fromVector,
  metricsFromSums,
  toVector,
} from './evaluation-sums.js';

/** Sums built the way evaluateModel bins probabilities. */
function sumsOf(scores: number[], labels: number[], bins: number): EvaluationSums {
  const sums = emptyEvaluationSums(bins);
  let correct = 0;
  scores.forEach((p, i) => {
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    (labels[i] === 1 ? sums.positiveHistogram : sums.negativeHistogram)[bin]! += 1;
    if (p >= 0.5 === (labels[i] === 1)) correct++;
  });
  return { ...sums, count: scores.length, correct, lossSum: scores.length * 0.5 };
}

/** Exact AUC: probability a random positive outranks a random negative, ties count half. */
function exactAuc(scores: number[], labels: number[]): number {
  let won = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((q, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      won += p > q ? 1 : p === q ? 0.5 : 0;
    });
  });
  return won / pairs;
}

function seededUniform(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

describe('metricsFromSums', () => {
  it('computes accuracy, loss and a perfect or reversed AUC', () => {
    const perfect = sumsOf([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 10);
    const reversed = sumsOf([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 10);

    expect(metricsFromSums(perfect)).toEqual({ accuracy: 1, auc: 1, loss: 0.5 });
    expect(metricsFromSums(reversed)).toEqual({ accuracy: 0, auc: 0, loss: 0.5 });
  });

  it('counts a positive and a negative in the same bin as half a pair', () => {
    const tied = sumsOf([0.51, 0.55], [0, 1], 10);
    expect(metricsFromSums(tied).auc).toBe(0.5);
  });

  it('matches the exact AUC on random overlapping scores within 0.01', () => {
    const random = seededUniform(99);
    for (let trial = 0; trial < 5; trial++) {
      const labels = Array.from({ length: 600 }, () => (random() < 0.4 ? 1 : 0));
      const scores = labels.map((label) => Math.min(0.999999, Math.max(0, random() * 0.7 + label * 0.25)));

      const approximate = metricsFromSums(sumsOf(scores, labels, 100)).auc;

      expect(Math.abs(approximate - exactAuc(scores, labels))).toBeLessThan(0.01);
    }
  });

  it('gives the same metrics for summed site sums as for the pooled data', () => {
    const random = seededUniform(7);
    const labels = Array.from({ length: 300 }, () => (random() < 0.5 ? 1 : 0));
    const scores = labels.map((label) => Math.min(0.99, random() * 0.6 + label * 0.3));

    const pooled = metricsFromSums(sumsOf(scores, labels, 50));
    const summed = metricsFromSums(
      addEvaluationSums(
        sumsOf(scores.slice(0, 120), labels.slice(0, 120), 50),
        sumsOf(scores.slice(120), labels.slice(120), 50),
      ),
    );

    expect(summed).toEqual(pooled);
  });

  it('returns NaN where a metric is undefined', () => {
    const empty = metricsFromSums(emptyEvaluationSums(4));
    const onlyPositives = metricsFromSums(sumsOf([0.7, 0.8], [1, 1], 4));

    expect(empty.accuracy).toBeNaN();
    expect(empty.loss).toBeNaN();
    expect(onlyPositives.auc).toBeNaN();
    expect(onlyPositives.accuracy).toBe(1);
  });
});

describe('toVector / fromVector', () => {
  it('flattens as [count, correct, lossSum, positives..., negatives...] and back', () => {
    const sums = sumsOf([0.1, 0.6, 0.9], [0, 1, 0], 4);

    const vector = toVector(sums);

    expect(Array.from(vector)).toEqual([3, 2, 1.5, 0, 0, 1, 0, 1, 0, 0, 1]);
    expect(fromVector(vector, 4)).toEqual(sums);
  });

  it('refuses a vector of the wrong length', () => {
    expect(() => fromVector(new Float64Array(10), 4)).toThrow(HeflError);
  });
});
