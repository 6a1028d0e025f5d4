import { HeflError } from '../../common/errors/index.js';
import { dataReportValues } from '../../common/fl/data-report-layout.js';
import { GLM_ENCODING, glmVectorLength } from '../../common/fl/glm-layout.js';
import { STATS_ENCODING } from '../../common/fl/limb-encoding.js';
import { CATEGORY_BUCKETS, METRICS_SECTION_VALUES } from '../../common/fl/round-section-shapes.js';
import type { VectorAdder } from '../../common/he/index.js';
import { declaredFeatures, featureNames } from '../../common/job/feature-schema.js';
import { type JobSpec, totalRounds } from '../../common/job/job-spec.js';
import { parameterCount } from '../../common/job/model-spec.js';
import { MAX_SECTION_VALUES, type SectionLayout } from '../../common/protocol/section-framing.js';

/** Round-0 statistics per numeric column: count, sum, sum of squares (client-node/data/feature-stats.ts). */
const STATS_SLOTS_PER_NUMERIC = 3;

/** A section a round's update must carry: its name and the value counts it may have. */
export interface ExpectedSection {
  readonly name: 'stats' | 'update' | 'metrics' | 'datareport' | 'glm';
  /** Every value count this section may declare (ascending), or a test when there are too many to list. */
  readonly accepts: (valueCount: number) => boolean;
  /** Smallest and largest value count it may declare. */
  readonly min: number;
  readonly max: number;
}

/**
 * The sections (in order) and value counts an update of `round` may declare, derived from
 * the job spec alone: round 0 sends feature statistics, rounds 1..R the model update and
 * evaluation sums, round R+1 evaluation sums. Statistics are exact when the job lists its
 * features; the update's length depends on the categories present at the sites (only the
 * encrypted round-0 sum knows them), so the spec bounds it to the model's size for between
 * zero and all category buckets.
 */
export function expectedSections(spec: JobSpec, round: number): ExpectedSection[] {
  const limbs = STATS_ENCODING.limbs;
  const { categorical } = spec.data;
  const declared = declaredFeatures(spec.data.features);
  // Declared features (types, vocabularies) shape the statistics and the model input in ways
  // only the site's schema code spells out; for those jobs the sizes are bounded, not exact.
  const features = spec.data.features && declared.length === 0 ? featureNames(spec.data.features) : undefined;
  const listed = features ? categorical.filter((c) => features.includes(c)).length : categorical.length;
  const numeric = features ? features.filter((f) => !categorical.includes(f)).length : undefined;
  const stats: ExpectedSection =
    declared.length > 0
      ? { name: 'stats', min: limbs, max: MAX_SECTION_VALUES, accepts: (n) => n > 0 && n % limbs === 0 }
      : numeric !== undefined
        ? exact('stats', limbs * (STATS_SLOTS_PER_NUMERIC * numeric + CATEGORY_BUCKETS * listed))
        : {
            name: 'stats',
            min: limbs * (CATEGORY_BUCKETS * listed || STATS_SLOTS_PER_NUMERIC),
            max: MAX_SECTION_VALUES,
            accepts: (n) =>
              n % limbs === 0 &&
              n / limbs >= CATEGORY_BUCKETS * listed &&
              (n / limbs - CATEGORY_BUCKETS * listed) % STATS_SLOTS_PER_NUMERIC === 0,
          };
  const metrics = exact('metrics', limbs * METRICS_SECTION_VALUES);
  if (round === 0) {
    // Minimum cell sizes, declared features' counts, codes found in hashed columns (common/fl/data-report-layout.ts).
    const reportValues = dataReportValues(spec.data);
    return reportValues === 0 ? [stats] : [stats, exact('datareport', limbs * reportValues)];
  }
  // GLM jobs: every later round is one IRLS iteration (client-node/glm), p coefficients =
  // intercept + numeric columns + one-hot slots less one reference slot per categorical.
  if (spec.model.kind === 'glm') return [glmSection(declared.length > 0 ? undefined : numeric, listed)];
  if (round === totalRounds(spec) - 1) return [metrics];
  // One value per weight plus the FedAvg weight slot; the input width is numeric columns
  // plus the category buckets present at any site.
  const values = (inputDim: number) => parameterCount(spec.model, inputDim) + 1;
  const perInput = values(2) - values(1);
  const lowest = Math.max(1, numeric ?? 0);
  const highest = numeric !== undefined ? numeric + CATEGORY_BUCKETS * listed : undefined;
  const update: ExpectedSection = {
    name: 'update',
    min: values(lowest),
    max: highest !== undefined ? values(highest) : MAX_SECTION_VALUES,
    accepts: (n) => {
      const offset = n - values(lowest);
      if (offset < 0 || offset % perInput !== 0) return false;
      return highest === undefined || lowest + offset / perInput <= highest;
    },
  };
  return [update, metrics];
}

/** Upper bound on a GLM's coefficients when the spec does not fix the input width. */
const MAX_GLM_COEFFICIENTS = 512;

function glmSection(numeric: number | undefined, listed: number): ExpectedSection {
  const limbs = GLM_ENCODING.limbs;
  const highest =
    numeric !== undefined ? 1 + numeric + (CATEGORY_BUCKETS - 1) * listed : MAX_GLM_COEFFICIENTS;
  const lowest = 1 + (numeric ?? 0);
  const accepts = (n: number): boolean => {
    if (n % limbs !== 0) return false;
    for (let p = lowest; p <= highest; p++) if (glmVectorLength(p) * limbs === n) return true;
    return false;
  };
  return {
    name: 'glm',
    min: glmVectorLength(lowest) * limbs,
    max: Math.min(glmVectorLength(highest) * limbs, MAX_SECTION_VALUES),
    accepts,
  };
}

/**
 * Refuses, before any byte of it is read, an update whose declared layout the job does not
 * allow: other or reordered sections, another profile or form, a value count outside what
 * the spec allows, ciphertext counts and byte lengths other than those values take; and a
 * section whose value count differs from an earlier closed round's (`earlier`: the update's
 * length is fixed once a round with it closed and its sites agreed on the model).
 */
export function checkExpectedLayout(
  spec: JobSpec,
  round: number,
  layout: readonly SectionLayout[],
  adder: Pick<VectorAdder, 'uploadShape'>,
  earlier: readonly SectionLayout[] | undefined,
): void {
  const expected = expectedSections(spec, round);
  const names = layout.map((s) => s.name).join(',');
  const want = expected.map((s) => s.name).join(',');
  if (names !== want) {
    throw refuse(`round ${round} sections are [${names.slice(0, 80)}], the job needs [${want}]`);
  }
  expected.forEach((e, i) => {
    const section = layout[i]!;
    if (section.profileId !== spec.he.profile) {
      throw new HeflError('profile_mismatch', `section ${e.name} uses another HE profile`, {
        publicDetail: `the job's HE profile is ${spec.he.profile}`,
      });
    }
    const fixed = earlier?.find((s) => s.name === e.name)?.valueCount;
    if (fixed !== undefined ? section.valueCount !== fixed : !e.accepts(section.valueCount)) {
      throw refuse(
        `section ${e.name} declares ${section.valueCount} values; the job allows ${
          fixed ?? (e.min === e.max ? e.min : `${e.min}..${e.max} (model-shaped)`)
        }`,
      );
    }
    const shape = adder.uploadShape(section.valueCount);
    if (section.form !== shape.form)
      throw refuse(`section ${e.name} is ${section.form}, the job sends ${shape.form}`);
    if (section.ciphertextCount !== shape.ciphertextCount) {
      throw refuse(
        `section ${e.name} declares ${section.ciphertextCount} ciphertexts, ${section.valueCount} values take ${shape.ciphertextCount}`,
      );
    }
    if (section.byteLength < shape.minBytes || section.byteLength > shape.maxBytes) {
      throw refuse(
        `section ${e.name} declares ${section.byteLength} bytes, ${section.valueCount} values take ${
          shape.minBytes === shape.maxBytes ? shape.minBytes : `${shape.minBytes}..${shape.maxBytes}`
        }`,
      );
    }
  });
}

function exact(name: ExpectedSection['name'], count: number): ExpectedSection {
  return { name, min: count, max: count, accepts: (n) => n === count };
}

function refuse(reason: string): HeflError {
  return new HeflError('invalid_argument', `update layout refused: ${reason}`, { publicDetail: reason });
}
