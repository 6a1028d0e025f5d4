import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import { parameterCount, weightLayoutOf } from '../../common/job/model-spec.js';
import { buildModel, getFlatWeights, initialWeights, setFlatWeights, weightLayout } from './model-builder.js';
import { selectBackend } from './select-backend.js';

const mlp: ModelSpec = { kind: 'mlp', hidden: [8, 4], activation: 'relu' };

beforeAll(async () => {
  await selectBackend();
});

describe('buildModel', () => {
  it('derives the same initial weights from the same seed, different ones from another seed', () => {
    const first = initialWeights(mlp, 5, 42);
    const second = initialWeights(mlp, 5, 42);
    const other = initialWeights(mlp, 5, 43);

    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first.length).toBe(parameterCount(mlp, 5));
  });

  it('lays weights out as kernel then bias per layer, row-major', () => {
    const model = buildModel(mlp, 5, 1);
    try {
      const layout = weightLayout(model);

      expect(layout.map((entry) => [entry.name, entry.shape, entry.offset])).toEqual([
        ['dense0/kernel', [5, 8], 0],
        ['dense0/bias', [8], 40],
        ['dense1/kernel', [8, 4], 48],
        ['dense1/bias', [4], 80],
        ['dense2/kernel', [4, 1], 84],
        ['dense2/bias', [1], 88],
      ]);
      expect(layout).toEqual(weightLayoutOf(mlp, 5));
    } finally {
      model.dispose();
    }
  });

  it('round-trips a flat vector and copies it in', () => {
    const model = buildModel({ kind: 'logreg' }, 3, 1);
    try {
      const flat = Float32Array.from([0.5, -1, 2, 0.25]);
      setFlatWeights(model, flat);
      flat.fill(9);

      expect(getFlatWeights(model)).toEqual(Float32Array.from([0.5, -1, 2, 0.25]));
      // kernel[i][0] = flat[i], bias = flat[3]: p = sigmoid(0.5 - 1 + 2 + 0.25)
      const p = tf.tidy(() => (model.predict(tf.ones([1, 3])) as tf.Tensor).dataSync()[0]!);
      expect(p).toBeCloseTo(1 / (1 + Math.exp(-1.75)), 5);
    } finally {
      model.dispose();
    }
  });

  it('refuses a vector of the wrong length or with non-finite values', () => {
    const model = buildModel({ kind: 'logreg' }, 3, 1);
    try {
      expect(() => setFlatWeights(model, new Float32Array(3))).toThrow(HeflError);
      expect(() => setFlatWeights(model, Float32Array.from([0, 0, Number.NaN, 0]))).toThrow(/weight 2/);
    } finally {
      model.dispose();
    }
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    initialWeights(mlp, 5, 7);
    expect(tf.memory().numTensors).toBe(before);
  });
});
