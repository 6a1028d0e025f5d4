import { performance } from 'node:perf_hooks';
import { initialWeights, parameterCount, selectBackend, trainLocally } from '../../client-node/in-process.js';
import type { ModelSpec } from '../../common/job/model-spec.js';

/** A ~1M-parameter MLP: 100 inputs, hidden 1000 and 900 (ReLU), one sigmoid output. */
export const MILLION_PARAM_MLP: ModelSpec = { kind: 'mlp', hidden: [1000, 900], activation: 'relu' };
export const MILLION_PARAM_INPUTS = 100;

/**
 * Wall time of one local epoch (`rows` synthetic rows, batch 32, SGD) of the ~1M-parameter
 * MLP, on the tfjs backend `selectBackend` picks. The training part of a round's time.
 */
export async function measureTrainingTime(
  rows: number,
): Promise<{ ms: number; params: number; backend: string }> {
  const backend = await selectBackend();
  const cols = MILLION_PARAM_INPUTS;
  const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37));
  const y = Float32Array.from({ length: rows }, (_, r) => (Math.sin(r * 1.7) > 0 ? 1 : 0));
  const globalWeights = initialWeights(MILLION_PARAM_MLP, cols, 1);
  const t = performance.now();
  await trainLocally({
    spec: MILLION_PARAM_MLP,
    inputDim: cols,
    globalWeights,
    x,
    y,
    rows,
    cols,
    config: { epochs: 1, batchSize: 32, learningRate: 0.01, optimizer: 'sgd', seed: 1 },
  });
  return {
    ms: performance.now() - t,
    params: parameterCount(MILLION_PARAM_MLP, cols),
    backend: backend.name,
  };
}
