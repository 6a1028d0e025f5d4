import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededNoiseSource } from '../../common/dp/noise-source.js';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import { trainWithDpSgd } from './dp-sgd-trainer.js';
import { evaluateModel } from './evaluate-model.js';
import { trainLocally } from './local-trainer.js';
import { initialWeights } from './model-builder.js';
import { selectBackend } from './select-backend.js';
import { separableDataset } from './separable-dataset.js';

const data = separableDataset(400, 6, 21);
const config = { epochs: 1, batchSize: 40, learningRate: 0.5, optimizer: 'sgd', seed: 1 } as const;

function input(spec: ModelSpec) {
  return { spec, inputDim: 6, globalWeights: initialWeights(spec, 6, 3), ...data, config };
}

function accuracy(spec: ModelSpec, weights: Float32Array): number {
  const sums = evaluateModel({ spec, inputDim: 6, weights, ...data });
  return sums.correct / sums.count;
}

beforeAll(async () => {
  await selectBackend();
});

describe('trainWithDpSgd', () => {
  it.each<ModelSpec>([{ kind: 'logreg' }, { kind: 'mlp', hidden: [8], activation: 'tanh' }])(
    'learns a separable task under moderate noise, frees every tensor ($kind)',
    async (spec) => {
      const before = tf.memory().numTensors;
      const dp = { clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.1, steps: 60 };

      const result = await trainWithDpSgd(input(spec), dp, seededNoiseSource(5));

      expect(tf.memory().numTensors).toBe(before);
      expect(result.weights.length).toBe(input(spec).globalWeights.length);
      expect(result.samples).toBe(400);
      // Poisson sampling: about q x rows x steps = 2400 examples, not a fixed batch size.
      expect(result.sampled).toBeGreaterThan(2100);
      expect(result.sampled).toBeLessThan(2700);
      expect(accuracy(spec, result.weights)).toBeGreaterThan(0.85);
    },
  );

  it('adds noise of stddev sigma C to each step’s summed gradient: with no records sampled, one SGD step moves weights by lr x noise / (q x rows)', async () => {
    const spec: ModelSpec = { kind: 'logreg' };
    const start = input(spec).globalWeights;
    const tiny = { ...input(spec), rows: 1, x: data.x.slice(0, 6), y: data.y.slice(0, 1) };
    // samplingRate 1e-12: the record is (all but surely) not sampled, so only noise moves the weights.
    const dp = { clipNorm: 2, noiseMultiplier: 3, samplingRate: 1e-12, steps: 1 };
    const expectedNoise = seededNoiseSource(8);
    expectedNoise.nextUniform(); // the sampling draw for the one record

    const result = await trainWithDpSgd(tiny, dp, seededNoiseSource(8));

    for (let i = 0; i < start.length; i++) {
      const noise = 3 * 2 * expectedNoise.nextGaussian();
      const expected = start[i]! - (0.5 * noise) / (1e-12 * 1);
      expect(Math.abs(result.weights[i]! - expected)).toBeLessThanOrEqual(1e-5 * Math.abs(expected));
    }
  });

  it('is reproducible with the same seed and differs with another; trainLocally dispatches to it', async () => {
    const spec: ModelSpec = { kind: 'logreg' };
    const dpSgd = { clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.1, steps: 5, insecureSeed: 7 };

    const a = await trainLocally({ ...input(spec), dpSgd });
    const b = await trainLocally({ ...input(spec), dpSgd });
    const c = await trainLocally({ ...input(spec), dpSgd: { ...dpSgd, insecureSeed: 8 } });

    expect(a.weights).toEqual(b.weights);
    expect(c.weights).not.toEqual(a.weights);
  });

  it('refuses bad settings, naming them', async () => {
    const bad = { clipNorm: 0, noiseMultiplier: -1, samplingRate: 2, steps: 0 };

    await expect(trainWithDpSgd(input({ kind: 'logreg' }), bad, seededNoiseSource(1))).rejects.toSatisfy(
      (error: unknown) =>
        HeflError.is(error, 'invalid_argument') &&
        /clipNorm.*noiseMultiplier.*samplingRate.*steps/.test((error as Error).message),
    );
  });
});
