import type { ColumnSpec, SiteTable } from './csv-table.js';
import { FeaturePipeline } from './feature-pipeline.js';
import { computeLocalStats } from './feature-stats.js';

/**
 * The pipeline a job with `data.scaling: 'per-site'` applies at this site: the shared
 * pipeline (same columns, same one-hot slots) with every numeric column z-scored by this
 * site's OWN training-split mean and population std instead of the global ones, as FLamby
 * normalises each center. The site's statistics stay at the site: only the transformed rows
 * feed local training and evaluation; the shared pipeline is what a model card carries.
 */
export function perSitePipeline(
  shared: FeaturePipeline,
  train: SiteTable,
  schema: readonly ColumnSpec[],
): FeaturePipeline {
  const options = { salt: shared.salt, buckets: shared.bucketCount };
  const own = FeaturePipeline.fromGlobalStats(schema, computeLocalStats(train, schema, options), options);
  return FeaturePipeline.fromJSON({ ...shared.toJSON(), numeric: own.numeric });
}
