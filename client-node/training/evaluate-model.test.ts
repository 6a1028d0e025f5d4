import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import { evaluateModel } from './evaluate-model.js';
import { addEvaluationSums } from './evaluation-sums.js';
import { initialWeights } from './model-builder.js';
import { selectBackend } from './select-backend.js';
import { separableDataset } from './separable-dataset.js';

const spec: ModelSpec = { kind: 'mlp', hidden: [6], activation: 'relu' };

beforeAll(async () => {
  await selectBackend();
});

describe('evaluateModel', () => {
  it('returns sums that add up across a split of the data', () => {
    const data = separableDataset(200, 4, 3);
    const weights = initialWeights(spec, 4, 9);
    const part = (from: number, to: number) => ({
      spec,
      inputDim: 4,
      weights,
      x: data.x.subarray(from * 4, to * 4),
      y: data.y.subarray(from, to),
      rows: to - from,
      cols: 4,
      bins: 20,
    });

    const whole = evaluateModel(part(0, 200));
    const split = addEvaluationSums(evaluateModel(part(0, 70)), evaluateModel(part(70, 200)));

    expect(whole.count).toBe(200);
    expect(
      whole.positiveHistogram.reduce((a, b) => a + b) + whole.negativeHistogram.reduce((a, b) => a + b),
    ).toBe(200);
    expect(split.count).toBe(whole.count);
    expect(split.correct).toBe(whole.correct);
    expect(split.lossSum).toBeCloseTo(whole.lossSum, 6);
    expect(split.positiveHistogram).toEqual(whole.positiveHistogram);
    expect(split.negativeHistogram).toEqual(whole.negativeHistogram);
  });

  it('computes the binary cross-entropy of a known model', () => {
    // logreg with all-zero weights predicts 0.5 everywhere: loss ln 2 per example.
    const sums = evaluateModel({
      spec: { kind: 'logreg' },
      inputDim: 2,
      weights: new Float32Array(3),
      x: Float32Array.from([1, 2, 3, 4]),
      y: Float32Array.from([1, 0]),
      rows: 2,
      cols: 2,
      bins: 4,
    });

    expect(sums.lossSum).toBeCloseTo(2 * Math.LN2, 6);
    expect(sums.correct).toBe(1); // p = 0.5 counts as a positive prediction
    expect(Array.from(sums.positiveHistogram)).toEqual([0, 0, 1, 0]);
  });

  it('disposes every tensor and refuses mismatched data', () => {
    const data = separableDataset(50, 4, 1);
    const before = tf.memory().numTensors;

    evaluateModel({ spec, inputDim: 4, weights: initialWeights(spec, 4, 1), ...data });
    expect(() => evaluateModel({ spec, inputDim: 5, weights: initialWeights(spec, 5, 1), ...data })).toThrow(
      HeflError,
    );

    expect(tf.memory().numTensors).toBe(before);
  });
});
