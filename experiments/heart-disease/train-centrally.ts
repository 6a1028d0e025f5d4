import {
  evaluateModel,
  initialWeights,
  type TrainingConfig,
  trainLocally,
} from '../../client-node/in-process.js';
import { computeLocalStats, FeaturePipeline, type TransformedTable } from '../../client-node/index.js';
import { featureSalt, type ParsedJob } from '../../common/job/job-spec.js';
import type { HeartCenter } from './load-heart-centers.js';

/**
 * Non-federated baselines on the sites' own splits: `local` trains one model per center on
 * that center's train split, normalised with that center's own statistics (as a hospital alone would), and tests it on
 * every center's test split; `pooled` trains one model on the union of all train splits
 * (statistics of the union) and tests it on every center's test split. Returns
 * accuracy[model][center]: one row per local model (in `centers` order), or one row for
 * the pooled model.
 */
export async function trainCentrally(
  mode: 'local' | 'pooled',
  job: ParsedJob,
  centers: readonly HeartCenter[],
  config: TrainingConfig,
): Promise<number[][]> {
  if (mode === 'local') {
    const matrix: number[][] = [];
    for (const center of centers) {
      const pipeline = pipelineFor(job, [center]);
      const weights = await fitModel(job, [pipeline.transform(center.dataset.train)], config, pipeline.cols);
      matrix.push(centers.map((c) => accuracy(job, weights, pipeline.transform(c.dataset.test))));
    }
    return matrix;
  }
  // Pooled: one model on the union of the train splits, scaled as the job says: with the
  // union's statistics, or (data.scaling 'per-site', FLamby's pooled baseline) each center's
  // rows with that center's own train statistics.
  const shared = pipelineFor(job, centers);
  const scaled = centers.map((c) => (job.spec.data.scaling === 'per-site' ? pipelineFor(job, [c]) : shared));
  const weights = await fitModel(
    job,
    centers.map((c, i) => scaled[i]!.transform(c.dataset.train)),
    config,
    shared.cols,
  );
  return [centers.map((c, i) => accuracy(job, weights, scaled[i]!.transform(c.dataset.test)))];
}

function pipelineFor(job: ParsedJob, centers: readonly HeartCenter[]): FeaturePipeline {
  const schema = centers[0]!.schema;
  const salt = featureSalt(job.spec);
  let sum: Float64Array | undefined;
  for (const c of centers) {
    const stats = computeLocalStats(c.dataset.train, schema, { salt });
    if (!sum) sum = stats;
    else for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + stats[i]!;
  }
  return FeaturePipeline.fromGlobalStats(schema, sum!, { salt });
}

async function fitModel(
  job: ParsedJob,
  tables: TransformedTable[],
  config: TrainingConfig,
  cols: number,
): Promise<Float32Array> {
  const rows = tables.reduce((a, t) => a + t.rows, 0);
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  let at = 0;
  for (const t of tables) {
    x.set(t.x, at * cols);
    y.set(t.y, at);
    at += t.rows;
  }
  const result = await trainLocally({
    spec: job.spec.model,
    inputDim: cols,
    globalWeights: initialWeights(job.spec.model, cols, job.spec.seed),
    x,
    y,
    rows,
    cols,
    config,
  });
  return result.weights;
}

function accuracy(job: ParsedJob, weights: Float32Array, table: TransformedTable): number {
  const sums = evaluateModel({ spec: job.spec.model, inputDim: table.cols, weights, ...table });
  return sums.correct / sums.count;
}
