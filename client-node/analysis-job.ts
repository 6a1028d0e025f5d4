import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import type { GlmResult } from '../common/protocol/sealed-glm-report.js';
import type { Section } from '../common/protocol/section-framing.js';
import type { SiteTable } from './data/csv-table.js';
import type { FeaturePipeline } from './data/feature-pipeline.js';
import type { SectionMasker } from './privacy/mask-filter.js';

/**
 * A job that sends exact sums instead of training (a GLM, a stats job): after round 0 every
 * later round sends one encrypted section and turns the decrypted sum into a report sealed
 * to the researcher. `state()` is what every site must hold alike after a round (hashed into
 * its signed round report, so the researcher sees any disagreement).
 */
export interface AnalysisJob {
  /** After round 0: the job-wide pipeline and this site's tables (training and held-out). */
  prepare(pipeline: FeaturePipeline, tables: readonly SiteTable[]): void;
  section(cipher: SiteVectorCipher, masker?: SectionMasker): Section;
  state(): Float32Array;
  apply(
    cipher: SiteVectorCipher,
    sections: readonly Section[],
    contributors: number,
    round: number,
  ): { readonly kind: string };
  /** The converged GLM table for the model card; undefined for a stats job or before convergence. */
  cardTable(): GlmResult | undefined;
}
