import { HeflError } from '../../common/errors/index.js';
import { dataReportValues } from '../../common/fl/data-report-layout.js';
import { GLM_ENCODING, glmVectorLength } from '../../common/fl/glm-layout.js';
import { STATS_ENCODING } from '../../common/fl/limb-encoding.js';
import type { RoundLengths } from '../../common/fl/round-lengths.js';
import { METRICS_SECTION_VALUES } from '../../common/fl/round-section-shapes.js';
import { SUMMARY_ENCODING, SUMMARY_SECTION } from '../../common/fl/summary-layout.js';
import type { VectorAdder } from '../../common/he/index.js';
import { type JobSpec, totalRounds } from '../../common/job/job-spec.js';
import type { SectionLayout } from '../../common/protocol/section-framing.js';

/** A section a round's update must carry: its name and the one value count it must declare. */
export interface ExpectedSection {
  readonly name: 'stats' | 'update' | 'metrics' | 'datareport' | 'glm' | 'summary';
  readonly valueCount: number;
}

/**
 * The sections (in order) and exact value counts an update of `round` must declare: round 0
 * sends feature statistics (and, with declared features or hashed categorical columns, the
 * data report), rounds 1..R the
 * model update and evaluation sums, round R+1 evaluation sums; a GLM job one IRLS section per
 * later round. `lengths` is the job's fixed layout (fix-round-layout: from the spec where it
 * lists its features, else from the accepting sites' signed statements), so no upload, the
 * first one included, can choose a size.
 */
export function expectedSections(spec: JobSpec, round: number, lengths: RoundLengths): ExpectedSection[] {
  const limbs = STATS_ENCODING.limbs;
  const metrics = exact('metrics', limbs * METRICS_SECTION_VALUES);
  if (round === 0) {
    const stats = exact('stats', limbs * lengths.statsLength);
    // Minimum cell sizes, declared features' counts, codes found in hashed columns (common/fl/data-report-layout.ts).
    const reportValues = dataReportValues(spec.data);
    return reportValues === 0 ? [stats] : [stats, exact('datareport', limbs * reportValues)];
  }
  if (spec.model.kind === 'glm')
    return [exact('glm', GLM_ENCODING.limbs * glmVectorLength(lengths.parameterCount))];
  // A stats job: its summary (common/fl/summary-layout.ts), the same every later round.
  if (spec.model.kind === 'stats')
    return [exact(SUMMARY_SECTION, SUMMARY_ENCODING.limbs * lengths.parameterCount)];
  if (round === totalRounds(spec) - 1) return [metrics];
  // One value per weight plus the FedAvg weight slot.
  return [exact('update', lengths.parameterCount + 1), metrics];
}

/**
 * Refuses, before any byte of it is read, an update whose declared layout is not the job's:
 * other or reordered sections, another profile or form, a value count other than the fixed
 * layout's, ciphertext counts and byte lengths other than those values take. The reason names
 * the site and the section.
 */
export function checkExpectedLayout(
  spec: JobSpec,
  round: number,
  layout: readonly SectionLayout[],
  adder: Pick<VectorAdder, 'uploadShape'>,
  lengths: RoundLengths,
  siteId: string,
): void {
  const expected = expectedSections(spec, round, lengths);
  const names = layout.map((s) => s.name).join(',');
  const want = expected.map((s) => s.name).join(',');
  if (names !== want) {
    throw refuse(`${siteId}'s round ${round} sections are [${names.slice(0, 80)}], the job needs [${want}]`);
  }
  expected.forEach((e, i) => {
    const section = layout[i]!;
    const which = `${siteId}'s section ${e.name}`;
    if (section.profileId !== spec.he.profile) {
      throw new HeflError('profile_mismatch', `${which} uses another HE profile`, {
        publicDetail: `the job's HE profile is ${spec.he.profile}`,
      });
    }
    if (section.valueCount !== e.valueCount) {
      throw refuse(`${which} declares ${section.valueCount} values; the job's layout fixes ${e.valueCount}`);
    }
    const shape = adder.uploadShape(section.valueCount);
    if (section.form !== shape.form) throw refuse(`${which} is ${section.form}, the job sends ${shape.form}`);
    if (section.ciphertextCount !== shape.ciphertextCount) {
      throw refuse(
        `${which} declares ${section.ciphertextCount} ciphertexts, ${section.valueCount} values take ${shape.ciphertextCount}`,
      );
    }
    if (section.byteLength < shape.minBytes || section.byteLength > shape.maxBytes) {
      throw refuse(
        `${which} declares ${section.byteLength} bytes, ${section.valueCount} values take ${
          shape.minBytes === shape.maxBytes ? shape.minBytes : `${shape.minBytes}..${shape.maxBytes}`
        }`,
      );
    }
  });
}

function exact(name: ExpectedSection['name'], valueCount: number): ExpectedSection {
  return { name, valueCount };
}

function refuse(reason: string): HeflError {
  return new HeflError('invalid_argument', `update layout refused: ${reason}`, { publicDetail: reason });
}
