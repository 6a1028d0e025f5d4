/**
 * DP-SGD's training overhead against plain training, same model, data, batch size and
 * number of steps, on the tfjs backend a site would use (`selectBackend`):
 *
 *   npx tsx experiments/dp-sgd-overhead/run-dp-sgd-overhead.ts [--rows 2000] [--repeats 5] [--json]
 *
 * Prints, per model, the median wall time of one local epoch each way and their ratio
 * (DP-SGD / plain). DP-SGD here is the production path (`trainLocally` with `dpSgd`):
 * Poisson sampling at q = 32 / rows, per-example clipping, CSPRNG Gaussian noise.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  initialWeights,
  selectBackend,
  separableDataset,
  trainLocally,
} from '../../client-node/in-process.js';
import { type ModelSpec, parameterCount } from '../../common/job/model-spec.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const repeats = Number(values.repeats);
const COLS = 20;
const BATCH = 32;
const MODELS: { name: string; spec: ModelSpec }[] = [
  { name: 'logreg', spec: { kind: 'logreg' } },
  { name: 'mlp [32, 16] relu', spec: { kind: 'mlp', hidden: [32, 16], activation: 'relu' } },
  { name: 'mlp [256, 128] tanh', spec: { kind: 'mlp', hidden: [256, 128], activation: 'tanh' } },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const backend = await selectBackend();
const data = separableDataset(rows, COLS, 3);
const steps = Math.ceil(rows / BATCH);
const results = [];
for (const { name, spec } of MODELS) {
  const base = {
    spec,
    inputDim: COLS,
    globalWeights: initialWeights(spec, COLS, 1),
    ...data,
    config: { steps, batchSize: BATCH, learningRate: 0.05, optimizer: 'sgd', seed: 1 } as const,
  };
  const dpSgd = { clipNorm: 1, noiseMultiplier: 1.1, samplingRate: BATCH / rows, steps };
  const time = async (dp: boolean) => {
    const t = performance.now();
    await trainLocally(dp ? { ...base, dpSgd } : base);
    return performance.now() - t;
  };
  await time(false); // warm-up: kernels, backend
  await time(true);
  const plain: number[] = [];
  const dp: number[] = [];
  for (let i = 0; i < repeats; i++) {
    plain.push(await time(false));
    dp.push(await time(true));
  }
  const row = {
    model: name,
    parameters: parameterCount(spec, COLS),
    plainMs: median(plain),
    dpSgdMs: median(dp),
    ratio: median(dp) / median(plain),
  };
  results.push(row);
  if (!values.json) {
    console.log(
      `${name.padEnd(20)} ${String(row.parameters).padStart(6)} params: plain ${row.plainMs.toFixed(0)} ms, DP-SGD ${row.dpSgdMs.toFixed(0)} ms per epoch -> ratio ${row.ratio.toFixed(2)}x`,
    );
  }
}
if (values.json) {
  console.log(
    JSON.stringify({ backend: backend.name, rows, cols: COLS, batch: BATCH, steps, repeats, results }),
  );
} else {
  console.log(
    `backend ${backend.name}; ${rows} rows x ${COLS} features, batch ${BATCH}, ${steps} steps per epoch, median of ${repeats}`,
  );
}
