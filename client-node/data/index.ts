export { applyFeatureSchema, type FeatureFinding, type SchemaProblem } from './apply-feature-schema.js';
export { categoryBucket } from './category-bucket.js';
export {
  type ColumnCheck,
  checkSiteData,
  type SiteCheckOptions,
  type SiteDataCheck,
} from './check-site-data.js';
export type {
  ColumnKind,
  ColumnSpec,
  CsvTableOptions,
  LabelRule,
  MissingRule,
  MissingValueReport,
  ParsedCsv,
  SiteTable,
} from './csv-table.js';
export {
  FeaturePipeline,
  type FeaturePipelineJson,
  type FeaturePipelineOptions,
  type TransformedTable,
} from './feature-pipeline.js';
export {
  computeLocalStats,
  DEFAULT_CATEGORY_BUCKETS,
  type FeatureStatsOptions,
  type StatsLayout,
  statsLayout,
} from './feature-stats.js';
export { SPLIT_VALUES, type SplitSource, splitByLines, takeSplitColumn } from './fixed-split.js';
export { loadCsv } from './load-csv.js';
export { loadRawCsv } from './load-raw-csv.js';
export { normaliseCode } from './normalise-code.js';
export { parseCsv, tableFromRaw } from './parse-csv.js';
export { perSitePipeline } from './per-site-scaling.js';
export type { RawRow, RawTable } from './raw-table.js';
export { readRawCsv } from './read-raw-csv.js';
export { selectRows } from './select-rows.js';
export { type JobTable, requireFit, siteTableForJob } from './site-table-for-job.js';
export { type SplitIndices, stratifiedSplit } from './stratified-split.js';
export {
  generateSyntheticHospitals,
  SYNTHETIC_CATEGORICAL,
  SYNTHETIC_COLUMNS,
  SYNTHETIC_LABEL,
  type SyntheticHospitalsOptions,
  type SyntheticSite,
} from './synthetic-hospitals.js';
