import { HeflError } from '../../common/errors/index.js';
import { glmVectorLength } from '../../common/fl/glm-layout.js';
import { glmCoefficientCount } from '../../common/fl/round-lengths.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { GlmSpec } from '../../common/job/model-spec.js';
import type { GlmReport, GlmResult } from '../../common/protocol/sealed-glm-report.js';
import type { Section } from '../../common/protocol/section-framing.js';
import type { AnalysisJob } from '../analysis-job.js';
import type { SiteTable } from '../data/csv-table.js';
import type { FeaturePipeline } from '../data/feature-pipeline.js';
import type { SectionMasker } from '../privacy/mask-filter.js';
import { glmDesignFor } from './glm-design.js';
import { GlmIrls } from './glm-irls.js';
import { decodeGlmSection, GLM_SECTION, glmSection } from './glm-section.js';
import { type GlmDesign, glmStatisticsFromVector } from './glm-statistics.js';

/**
 * The GLM side of a job at one site: rounds 1..R+1 are IRLS iterations (one Newton step each).
 * The site's design covers all its records (train and held-out: a statistical analysis, not a
 * prediction model). After convergence or a failure the remaining rounds are no-ops: the site
 * resends its statistics at the final coefficients (the job's round count is fixed) and the
 * result no longer changes.
 */
export class GlmJob implements AnalysisJob {
  private design: GlmDesign | undefined;
  private irls: GlmIrls | undefined;
  /** The section's fixed length: the statistics of the job's fixed coefficient count, zero-padded. */
  private sectionLength = 0;
  private failure: string | undefined;

  constructor(
    private readonly spec: GlmSpec,
    /** Iterations available: the job's rounds 1..R+1. */
    private readonly maxIterations: number,
  ) {}

  /** After round 0: the design from the job-wide pipeline. */
  prepare(pipeline: FeaturePipeline, tables: readonly SiteTable[]): void {
    this.design = glmDesignFor(pipeline, tables, this.spec.family);
    this.sectionLength = glmVectorLength(glmCoefficientCount(pipeline.schema));
    this.irls = new GlmIrls(this.design.names, {
      family: this.spec.family,
      maxIterations: this.maxIterations,
      tolerance: this.spec.tolerance,
      ...(this.spec.l2 === undefined ? {} : { l2: this.spec.l2 }),
    });
  }

  /** This iteration's statistics, encrypted. */
  section(cipher: SiteVectorCipher, masker?: SectionMasker): Section {
    const { design, irls } = this.require();
    const vector = irls.localVector(design);
    if (vector.length > this.sectionLength)
      throw new HeflError('integrity', 'GLM: the design has more coefficients than the job fixes');
    const padded = new Float64Array(this.sectionLength);
    padded.set(vector);
    return glmSection(cipher, padded, masker);
  }

  /** The coefficients every site holds (hashed into the round report: all sites must agree). */
  coefficients(): Float32Array {
    return Float32Array.from(this.require().irls.coefficients);
  }

  /** The state every site must hold alike: the coefficients. */
  state(): Float32Array {
    return this.coefficients();
  }

  /** The converged table, for the model card. */
  cardTable(): GlmResult | undefined {
    return this.irls?.result;
  }

  /** Applies the summed statistics; the report to seal to the researcher. */
  apply(
    cipher: SiteVectorCipher,
    sections: readonly Section[],
    contributors: number,
    iteration: number,
  ): GlmReport {
    const { irls } = this.require();
    const section = sections.find((s) => s.name === GLM_SECTION);
    if (!section) throw new HeflError('integrity', `the aggregate lacks the ${GLM_SECTION} section`);
    // The sum of zero-padded vectors: the design's statistics come first.
    const sum = decodeGlmSection(cipher, section.batch, contributors).subarray(
      0,
      glmVectorLength(irls.names.length),
    );
    const deviance = glmStatisticsFromVector(sum, irls.names.length).deviance;
    if (this.failure === undefined) {
      try {
        irls.applySum(sum);
      } catch (error) {
        if (!(error instanceof HeflError)) throw error;
        this.failure = error.message;
      }
    }
    return { kind: 'glm', iteration, deviance, result: irls.result ?? null, error: this.failure ?? null };
  }

  private require(): { design: GlmDesign; irls: GlmIrls } {
    if (!this.design || !this.irls)
      throw new HeflError('failed_precondition', 'GLM: no design before round 0 closed');
    return { design: this.design, irls: this.irls };
  }
}
