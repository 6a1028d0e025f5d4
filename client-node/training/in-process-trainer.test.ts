import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import { InProcessTrainer } from './in-process-trainer.js';
import { trainLocally } from './local-trainer.js';
import { initialWeights } from './model-builder.js';
import { separableDataset } from './separable-dataset.js';

const spec: ModelSpec = { kind: 'logreg' };
const data = separableDataset(100, 6, 4);
const trainInput = {
  spec,
  inputDim: 6,
  globalWeights: initialWeights(spec, 6, 1),
  ...data,
  config: { batchSize: 16, learningRate: 0.3, optimizer: 'sgd', seed: 1 },
} as const;

describe('InProcessTrainer', () => {
  it('trains and evaluates like the direct functions and reports its backend', async () => {
    const trainer = await InProcessTrainer.create();
    try {
      const result = await trainer.train(trainInput);
      const sums = await trainer.evaluate({ spec, inputDim: 6, weights: result.weights, ...data });

      expect(trainer.backend.name).toMatch(/^(tensorflow|wasm|cpu)$/);
      expect(result.weights).toEqual((await trainLocally(trainInput)).weights);
      expect(sums.count).toBe(100);
    } finally {
      await trainer.close();
    }
  });

  it('refuses work after close', async () => {
    const trainer = await InProcessTrainer.create();
    await trainer.close();

    await expect(trainer.train(trainInput)).rejects.toSatisfy((error) =>
      HeflError.is(error, 'failed_precondition'),
    );
  });
});
