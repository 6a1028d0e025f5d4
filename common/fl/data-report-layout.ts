import { declaredFeatures, featureNames } from '../job/feature-schema.js';
import type { JobSpec } from '../job/job-spec.js';
import { CATEGORY_BUCKETS } from './round-section-shapes.js';

/**
 * The round-0 `datareport` section, in one place because the site builds it and the
 * coordinator checks its size at the upload header. Its values, in order:
 * 1. `MIN_CELL_SLOTS` slots: a one-hot of the site's minimum cell size (slot k-1 = k), so the
 *    sum counts the sites per minimum and every site reads the largest one from it;
 * 2. per declared feature: rows, values outside, one count per declared code;
 * 3. per undeclared categorical column (hashed buckets): `CATEGORY_BUCKETS` slots of
 *    `VOCABULARY_SLOT_VALUES` values each (see `client-node/data/vocabulary-report.ts`).
 */

/** Largest minimum cell size a site policy may state; the one-hot has this many slots. */
export const MAX_MIN_CELL_SIZE = 100;
export const MIN_CELL_SLOTS = MAX_MIN_CELL_SIZE;

/** Bytes of a code carried per value (4: a sum over 100,000 sites stays below 2^53, exact in a double). */
export const CODE_CHUNK_BYTES = 4;
/** Values per code: codes up to 40 bytes of UTF-8 can be named; longer ones are counted but not named. */
export const CODE_CHUNKS = 10;
/** Per hashed slot: rows, sites having a code there, sites with several codes there, check hash, code chunks. */
export const VOCABULARY_SLOT_VALUES = 4 + CODE_CHUNKS;

/**
 * The job's categorical columns without a declared vocabulary (they become hashed one-hot
 * buckets), in the job's order: listed in `data.categorical`, not declared, and among the
 * features when the job lists them.
 */
export function hashedCategoricalColumns(data: JobSpec['data']): string[] {
  const declared = new Set(declaredFeatures(data.features).map((f) => f.name));
  const features = data.features ? new Set(featureNames(data.features)) : undefined;
  return [...new Set(data.categorical)].filter((c) => !declared.has(c) && (!features || features.has(c)));
}

/** Values of the declared-features part: per feature rows, outside, one per declared code. */
export function declaredReportValues(data: JobSpec['data']): number {
  return declaredFeatures(data.features).reduce(
    (n, f) =>
      n + 2 + (f.type === 'numeric' ? 0 : f.type === 'binary' ? f.codes.length : f.vocabulary.codes.length),
    0,
  );
}

/** Values of the whole `datareport` section, or 0 when the job sends none (no declared features, no hashed column). */
export function dataReportValues(data: JobSpec['data']): number {
  const declared = declaredReportValues(data);
  const hashed = hashedCategoricalColumns(data).length;
  if (declared === 0 && hashed === 0) return 0;
  return MIN_CELL_SLOTS + declared + hashed * CATEGORY_BUCKETS * VOCABULARY_SLOT_VALUES;
}
