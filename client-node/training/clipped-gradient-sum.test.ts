import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededNoiseSource } from '../../common/dp/noise-source.js';
import { type ModelSpec, weightLayoutOf } from '../../common/job/model-spec.js';
import { clippedGradientSum, type DenseParams } from './clipped-gradient-sum.js';
import { buildModel, initialWeights, setFlatWeights } from './model-builder.js';
import { selectBackend } from './select-backend.js';

const SPECS: ModelSpec[] = [
  { kind: 'logreg' },
  { kind: 'mlp', hidden: [6, 3], activation: 'tanh' },
  { kind: 'mlp', hidden: [5], activation: 'relu' },
];
const DIM = 4;

beforeAll(async () => {
  await selectBackend();
});

/** Runs `clippedGradientSum` on plain arrays and returns the flat summed gradient, norms and loss. */
function clippedSum(spec: ModelSpec, weights: Float32Array, x: number[][], y: number[], clipNorm: number) {
  return tf.tidy(() => {
    const layout = weightLayoutOf(spec, DIM);
    const tensors = layout.map((e) => tf.tensor(weights.slice(e.offset, e.offset + e.size), [...e.shape]));
    const params: DenseParams = {
      kernels: tensors.filter((_, i) => i % 2 === 0) as tf.Tensor2D[],
      biases: tensors.filter((_, i) => i % 2 === 1) as tf.Tensor1D[],
      hiddenActivation: spec.kind === 'mlp' ? spec.activation : 'relu',
    };
    const sums = clippedGradientSum(params, tf.tensor2d(x), tf.tensor2d(y, [y.length, 1]), clipNorm);
    const flat = new Float32Array(weights.length);
    layout.forEach((e, i) => {
      const t = i % 2 === 0 ? sums.kernels[i / 2]! : sums.biases[(i - 1) / 2]!;
      flat.set(t.dataSync() as Float32Array, e.offset);
    });
    return { flat, norms: Array.from(sums.norms.dataSync()), loss: sums.lossSum.dataSync()[0]! };
  });
}

/** Per-example gradient of the BCE by tfjs autodiff through the real layers model (the reference). */
function autodiffGradient(spec: ModelSpec, weights: Float32Array, x: number[], y: number): Float32Array {
  const model = buildModel(spec, DIM, 0);
  try {
    setFlatWeights(model, weights);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    return tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const p = model.apply(tf.tensor2d([x]), { training: true }) as tf.Tensor;
        return tf
          .tensor2d([[y]])
          .mul(p.log())
          .add(tf.scalar(1 - y).mul(tf.scalar(1).sub(p).log()))
          .sum()
          .neg() as tf.Scalar;
      }, variables);
      const layout = weightLayoutOf(spec, DIM);
      const flat = new Float32Array(weights.length);
      variables.forEach((v, i) => {
        flat.set(grads[v.name]!.dataSync() as Float32Array, layout[i]!.offset);
      });
      return flat;
    });
  } finally {
    model.dispose();
  }
}

function l2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function randomRows(seed: number, rows: number, scale: number): { x: number[][]; y: number[] } {
  const random = seededNoiseSource(seed);
  const x = Array.from({ length: rows }, () =>
    Array.from({ length: DIM }, () => scale * random.nextGaussian()),
  );
  const y = Array.from({ length: rows }, () => (random.nextUniform() < 0.5 ? 0 : 1));
  return { x, y };
}

describe('clippedGradientSum', () => {
  it.each(SPECS)(
    'equals autodiff per-example gradients, norms and summed loss without clipping ($kind $activation)',
    (spec) => {
      const weights = initialWeights(spec, DIM, 3);
      const { x, y } = randomRows(1, 6, 1);

      const { flat, norms, loss } = clippedSum(spec, weights, x, y, 1e9);

      const expected = new Float32Array(weights.length);
      x.forEach((row, i) => {
        const g = autodiffGradient(spec, weights, row, y[i]!);
        expect(norms[i]).toBeCloseTo(l2(g), 4);
        for (let j = 0; j < g.length; j++) expected[j]! += g[j]!;
      });
      for (let j = 0; j < expected.length; j++) expect(flat[j]).toBeCloseTo(expected[j]!, 4);
      expect(loss).toBeGreaterThan(0);
    },
  );

  it.each(SPECS)(
    'bounds one record’s influence: replacing or removing any record moves the summed clipped gradient by at most C ($kind $activation)',
    (spec) => {
      const clipNorm = 0.5;
      const weights = initialWeights(spec, DIM, 5);
      let largestUnclipped = 0;
      for (let trial = 0; trial < 8; trial++) {
        // Large feature values make most per-example gradients far longer than C.
        const { x, y } = randomRows(100 + trial, 10, 20);
        const other = randomRows(200 + trial, 1, 50);
        const changed = trial % 10;
        const replacedX = x.map((row, i) => (i === changed ? other.x[0]! : row));
        const replacedY = y.map((label, i) => (i === changed ? 1 - label : label));

        const base = clippedSum(spec, weights, x, y, clipNorm).flat;
        const replaced = clippedSum(spec, weights, replacedX, replacedY, clipNorm).flat;
        const removed = clippedSum(
          spec,
          weights,
          x.filter((_, i) => i !== changed),
          y.filter((_, i) => i !== changed),
          clipNorm,
        ).flat;

        // Add/remove neighbours (what the accountant assumes): at most C.
        expect(l2(base.map((v, j) => v - removed[j]!))).toBeLessThanOrEqual(clipNorm);
        // Replace-one is two such steps: at most 2C.
        expect(l2(base.map((v, j) => v - replaced[j]!))).toBeLessThanOrEqual(2 * clipNorm);
        const unclippedBase = clippedSum(spec, weights, x, y, 1e9).flat;
        const unclippedRemoved = clippedSum(
          spec,
          weights,
          x.filter((_, i) => i !== changed),
          y.filter((_, i) => i !== changed),
          1e9,
        ).flat;
        largestUnclipped = Math.max(
          largestUnclipped,
          l2(unclippedBase.map((v, j) => v - unclippedRemoved[j]!)),
        );
      }
      // The data really would move the sum further without clipping, so the bound above is clipping's doing.
      expect(largestUnclipped).toBeGreaterThan(clipNorm);
    },
  );

  it('clips each example to exactly C (up to float32) when its gradient is longer', () => {
    const spec: ModelSpec = { kind: 'logreg' };
    const weights = initialWeights(spec, DIM, 1);
    const { x, y } = randomRows(9, 1, 30);

    const unclipped = clippedSum(spec, weights, x, y, 1e9);
    const clipped = clippedSum(spec, weights, x, y, 0.25);

    expect(unclipped.norms[0]).toBeGreaterThan(0.25);
    expect(l2(clipped.flat)).toBeLessThanOrEqual(0.25);
    expect(l2(clipped.flat)).toBeGreaterThan(0.25 * 0.999);
  });
});
