import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import type { TrainingConfig } from '../../common/job/training-config.js';
import { evaluateModel } from './evaluate-model.js';
import { metricsFromSums } from './evaluation-sums.js';
import { type LocalTrainingInput, trainLocally } from './local-trainer.js';
import { initialWeights } from './model-builder.js';
import { selectBackend } from './select-backend.js';
import { separableDataset } from './separable-dataset.js';

const logreg: ModelSpec = { kind: 'logreg' };
const mlp: ModelSpec = { kind: 'mlp', hidden: [16, 8], activation: 'tanh' };

function trainingInput(
  spec: ModelSpec,
  config: Partial<TrainingConfig> = {},
  data = separableDataset(300, 15, 11),
): LocalTrainingInput {
  return {
    spec,
    inputDim: data.cols,
    globalWeights: initialWeights(spec, data.cols, 5),
    ...data,
    config: { batchSize: 32, learningRate: 0.05, optimizer: 'sgd', seed: 3, ...config },
  };
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

beforeAll(async () => {
  await selectBackend();
});

describe('trainLocally', () => {
  it('gives bit-identical weights for the same inputs, twice in a row', async () => {
    const input = trainingInput(mlp, { optimizer: 'adam', epochs: 2, proximalMu: 0.1, learningRate: 0.01 });

    const first = await trainLocally(input);
    const second = await trainLocally(input);

    expect(new Uint8Array(second.weights.buffer)).toEqual(new Uint8Array(first.weights.buffer));
    expect(second.meanLoss).toBe(first.meanLoss);
    expect(distance(first.weights, input.globalWeights)).toBeGreaterThan(0);
  });

  it('shuffles differently with another seed', async () => {
    const a = await trainLocally(trainingInput(logreg, { seed: 1 }));
    const b = await trainLocally(trainingInput(logreg, { seed: 2 }));

    expect(b.weights).not.toEqual(a.weights);
  });

  it('disposes every tensor, also when it fails', async () => {
    const before = tf.memory().numTensors;

    await trainLocally(trainingInput(mlp, { optimizer: 'adam', proximalMu: 1 }));
    await trainLocally(trainingInput(logreg, { steps: 5 }));
    const bad = {
      ...trainingInput(logreg),
      globalWeights: Float32Array.from({ length: 16 }, () => Number.NaN),
    };
    await expect(trainLocally(bad)).rejects.toThrow(HeflError);

    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns a separable problem with logistic regression', async () => {
    const all = separableDataset(800, 15, 11);
    const train = { x: all.x.subarray(0, 300 * 15), y: all.y.subarray(0, 300), rows: 300, cols: 15 };
    const test = { x: all.x.subarray(300 * 15), y: all.y.subarray(300), rows: 500, cols: 15 };
    const input = trainingInput(logreg, { epochs: 3, learningRate: 0.5 }, train);

    const result = await trainLocally(input);
    const metrics = metricsFromSums(
      evaluateModel({ spec: logreg, inputDim: 15, weights: result.weights, ...test }),
    );

    expect(result.samples).toBe(300);
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(metrics.auc).toBeGreaterThan(0.95);
  });

  it('keeps weights close to the global model when the proximal term is strong', async () => {
    const start = trainingInput(logreg, { epochs: 2, learningRate: 0.05 });
    const plain = await trainLocally(start);
    const proximal = await trainLocally({ ...start, config: { ...start.config, proximalMu: 10 } });

    const plainDrift = distance(plain.weights, start.globalWeights);
    const proximalDrift = distance(proximal.weights, start.globalWeights);
    expect(proximalDrift).toBeLessThan(plainDrift * 0.25);
  });

  it('runs exactly `steps` batches when steps are set', async () => {
    const oneStep = await trainLocally(trainingInput(logreg, { steps: 1, batchSize: 300 }));
    const oneEpoch = await trainLocally(trainingInput(logreg, { epochs: 1, batchSize: 300 }));

    expect(oneStep.weights).toEqual(oneEpoch.weights);
  });

  it('refuses inconsistent data and config, naming the problem', async () => {
    const input = trainingInput(logreg);

    await expect(trainLocally({ ...input, rows: 299 })).rejects.toThrow(/x has 4500 values/);
    await expect(trainLocally({ ...input, y: input.y.map((v, i) => (i === 7 ? 2 : v)) })).rejects.toThrow(
      /row 7/,
    );
    await expect(trainLocally({ ...input, globalWeights: new Float32Array(3) })).rejects.toThrow(/needs 16/);
    await expect(
      trainLocally({ ...input, config: { ...input.config, steps: 3, batchSize: 0 } }),
    ).rejects.toThrow(/config\.batchSize/);
  });
});
