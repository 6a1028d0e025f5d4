import type { CodeNormalisation } from '../common/job/feature-schema.js';
import type { JobSpec } from '../common/job/job-spec.js';
import type { ModelSpec } from '../common/job/model-spec.js';
import type { GlmResult } from '../common/protocol/sealed-glm-report.js';
import type { FeaturePipelineJson } from './data/feature-pipeline.js';

/** What the researcher receives about a released model (no record values, no per-site figures). */
export interface ModelCard {
  readonly jobId: string;
  readonly jobHash: string;
  readonly modelHash: string;
  readonly model: ModelSpec;
  readonly trainingRounds: number;
  readonly participatingSites: readonly string[];
  /**
   * Aggregate metrics of the final model on the sites' held-out records; null for a GLM
   * (a statistical fit on all records, reported as its regression table in `glm`).
   */
  readonly metrics: {
    accuracy: number;
    pooledAccuracy: number;
    auc: number;
    loss: number;
    examples: number;
  } | null;
  /**
   * GLM jobs: the regression table (coefficients on the original scale of the columns in
   * `glm.coefficients[].feature`, SEs, z, p, CIs, odds/rate ratios, deviance, AIC, n). The
   * release then carries no TensorFlow.js model: its weights are the coefficients (float32,
   * in the table's order), which the sites' signed model hash covers.
   */
  readonly glm?: GlmResult;
  /**
   * Differential privacy spent by each site on this job, or null when the job used none.
   * `unit`: what epsilon protects, one patient record at a site (`record`, DP-SGD) or one
   * site's update (`site`). Under record-level DP each site chose its own noise from its own
   * row count, and sigma would reveal that count, so the card carries no noise multiplier
   * then (each site's own audit log has it); under site-level DP sigma is the job's.
   */
  readonly privacy:
    | { unit: 'record'; epsilon: number; delta: number }
    | { unit: 'site'; epsilon: number; delta: number; noiseMultiplier: number }
    | null;
  /**
   * The input the model expects and how to make it from a record, so the model can be used
   * without hefl: `names` is the input order (columns sorted by name; a numeric or binary
   * column is one z-scored input, a categorical one is one 0/1 input per declared code
   * `col=code` (+ `col=other`) or per globally seen hash bucket `col#b`). `data` is the job's
   * data section (label, declared features with units, ranges and vocabularies, missing
   * rule), `normalisation` the code normalisation applied before matching, and `pipeline`
   * the exact transform (`FeaturePipeline.fromJSON`, used by `hefl model predict`).
   */
  readonly features: {
    readonly names: readonly string[];
    readonly numeric: readonly { name: string; mean: number; std: number }[];
    readonly categorical: readonly {
      name: string;
      buckets: readonly number[];
      vocabulary?: readonly string[];
      other?: boolean;
    }[];
    readonly categoryHash: string;
    readonly normalisation: CodeNormalisation;
    readonly data: JobSpec['data'];
    readonly pipeline: FeaturePipelineJson;
  };
  readonly createdAt: string;
}

/** The bytes a site seals to the researcher: a TensorFlow.js layers model and its card. */
export interface ReleasePackage {
  readonly format: 'hefl-model-release/v1';
  /** `model.json` content (layers-model format; its weights manifest names `weights.bin`); null for a GLM. */
  readonly modelJson: unknown;
  readonly weightsBase64: string;
  readonly card: ModelCard;
}
