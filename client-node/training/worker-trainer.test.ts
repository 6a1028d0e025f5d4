import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { ModelSpec } from '../../common/job/model-spec.js';
import { runsIf } from '../../test/support/runs-if.js';
import { trainLocally } from './local-trainer.js';
import { initialWeights } from './model-builder.js';
import { selectBackend } from './select-backend.js';
import { separableDataset } from './separable-dataset.js';
import type { Trainer } from './trainer.js';

// The worker script only exists compiled (npm test builds first); from source it would need tsx.
const built = new URL('../../dist/client-node/training/worker-trainer.js', import.meta.url);
type WorkerTrainerModule = typeof import('./worker-trainer.js');

const spec: ModelSpec = { kind: 'mlp', hidden: [8], activation: 'relu' };
const data = separableDataset(120, 5, 8);
const trainInput = {
  spec,
  inputDim: 5,
  globalWeights: initialWeights(spec, 5, 2),
  ...data,
  config: { epochs: 2, batchSize: 16, learningRate: 0.05, optimizer: 'adam', proximalMu: 0.01, seed: 9 },
} as const;

/** True when tsx can load the TypeScript worker, so WorkerTrainer also runs from source. */
const tsxAvailable = (() => {
  try {
    import.meta.resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
})();

const noTsx = runsIf(!tsxAvailable, 'WorkerTrainer without tsx: tsx is installed');

describe.runIf(noTsx)('WorkerTrainer from source without tsx', () => {
  it('refuses to start, saying to run from the build', async () => {
    const { WorkerTrainer } = await import('./worker-trainer.js');

    await expect(WorkerTrainer.create()).rejects.toThrow(/run it from the build/);
  });
});

const runnable = runsIf(
  existsSync(fileURLToPath(built)) || tsxAvailable,
  'WorkerTrainer: no dist/ build and no tsx',
);

describe.runIf(runnable)('WorkerTrainer', () => {
  // Prefer the build (what production runs); from source it needs tsx.
  const load = async (): Promise<WorkerTrainerModule> =>
    existsSync(fileURLToPath(built))
      ? ((await import(built.href)) as WorkerTrainerModule)
      : await import('./worker-trainer.js');
  let trainer: Trainer;

  beforeAll(async () => {
    trainer = await (await load()).WorkerTrainer.create();
  });
  afterAll(async () => {
    await trainer?.close();
  });

  it('trains off the main thread with the same result as in-process and keeps the caller data', async () => {
    const local = await selectBackend();

    const result = await trainer.train(trainInput);
    const sums = await trainer.evaluate({ spec, inputDim: 5, weights: result.weights, ...data, bins: 10 });

    expect(trainer.backend.name).toBe(local.name);
    expect(data.x.length).toBe(600); // inputs were copied, not transferred away
    expect(result.weights).toEqual((await trainLocally(trainInput)).weights);
    expect(sums.count).toBe(120);
    expect(sums.positiveHistogram.length).toBe(10);
  });

  it('runs DP-SGD (record-level DP) in the worker, the same as in-process for the same seed', async () => {
    const dpInput = {
      ...trainInput,
      dpSgd: { clipNorm: 1, noiseMultiplier: 1.1, samplingRate: 0.1, steps: 12, insecureSeed: 4 },
    };

    const result = await trainer.train(dpInput);

    expect(result.weights).toEqual((await trainLocally(dpInput)).weights);
    expect(result.weights).not.toEqual((await trainLocally(trainInput)).weights);
  });

  it('passes HeflErrors back, keeps serving, and refuses work after close', async () => {
    await expect(trainer.train({ ...trainInput, rows: 7 })).rejects.toSatisfy((error) =>
      HeflError.is(error, 'invalid_argument'),
    );
    await expect(
      trainer.evaluate({ spec, inputDim: 5, weights: trainInput.globalWeights, ...data }),
    ).resolves.toMatchObject({ count: 120 });

    await trainer.close();

    await expect(
      trainer.evaluate({ spec, inputDim: 5, weights: trainInput.globalWeights, ...data }),
    ).rejects.toSatisfy((error) => HeflError.is(error, 'failed_precondition'));
  });
});
