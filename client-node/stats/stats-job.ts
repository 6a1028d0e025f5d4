import { HeflError } from '../../common/errors/index.js';
import { decodeLimbs, encodeLimbs, LIMB_MAGNITUDE } from '../../common/fl/limb-encoding.js';
import { SUMMARY_ENCODING, SUMMARY_SECTION, summaryVectorLength } from '../../common/fl/summary-layout.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { StatsSpec } from '../../common/job/model-spec.js';
import type { StatsReport } from '../../common/protocol/sealed-stats-report.js';
import type { Section } from '../../common/protocol/section-framing.js';
import type { AnalysisJob } from '../analysis-job.js';
import type { SiteTable } from '../data/csv-table.js';
import type { SectionMasker } from '../privacy/mask-filter.js';
import { summaryReport } from './summary-report.js';
import { summaryVector } from './summary-vector.js';

/**
 * The stats side of a job at one site: round 1 sends this site's summary (small cells
 * suppressed here, before encryption), limb-encoded for exact sums; the decrypted total
 * becomes the tables sealed to the researcher. The final round sends the same summary again
 * (a job's round count is fixed) and gives the same tables.
 */
export class StatsJob implements AnalysisJob {
  private vector: Float64Array | undefined;
  private pooled = new Float32Array(0);

  constructor(
    private readonly spec: StatsSpec,
    /** This site's policy minimum cell size: smaller local counts never leave the site. */
    private readonly minCellSize: number,
  ) {}

  prepare(_pipeline: unknown, tables: readonly SiteTable[]): void {
    this.vector = summaryVector(this.spec, tables, this.minCellSize);
  }

  section(cipher: SiteVectorCipher, masker?: SectionMasker): Section {
    const limbs = encodeLimbs(this.require(), SUMMARY_ENCODING);
    return {
      name: SUMMARY_SECTION,
      batch: cipher.encryptIntegers(limbs, LIMB_MAGNITUDE, masker?.(SUMMARY_SECTION, limbs.length)),
    };
  }

  /** The pooled summary (what every site decoded), hashed into the round report. */
  state(): Float32Array {
    return this.pooled;
  }

  apply(cipher: SiteVectorCipher, sections: readonly Section[], contributors: number): StatsReport {
    const section = sections.find((s) => s.name === SUMMARY_SECTION);
    if (!section) throw new HeflError('integrity', `the aggregate lacks the ${SUMMARY_SECTION} section`);
    const sum = decodeLimbs(cipher.decryptIntegers(section.batch, contributors), SUMMARY_ENCODING);
    if (sum.length !== summaryVectorLength(this.spec))
      throw new HeflError('integrity', 'the summed summary has another length than the job fixes');
    this.pooled = Float32Array.from(sum);
    return summaryReport(this.spec, sum);
  }

  /** Stats tables are not a model: a stats job releases no card (its tables are sealed per round). */
  cardTable(): undefined {
    return undefined;
  }

  private require(): Float64Array {
    if (!this.vector) throw new HeflError('failed_precondition', 'stats: no summary before round 0 closed');
    return this.vector;
  }
}
