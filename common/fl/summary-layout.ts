import type { LimbEncodingOptions } from './limb-encoding.js';

/** The shape of a stats job's spec as far as sizes go (common/job/stats-spec.ts). */
export interface SummaryShape {
  readonly numeric: readonly string[];
  readonly categories: Readonly<Record<string, readonly string[]>>;
  readonly histograms: Readonly<Record<string, readonly number[]>>;
  readonly crossTabs: readonly (readonly [string, string])[];
  readonly strata?: string;
}

/** The section name of a stats job's tables in an upload and in the aggregate. */
export const SUMMARY_SECTION = 'summary';

/**
 * Fixed point of the summary sums: the GLM's (40 fractional bits in four 24-bit limbs), so a
 * sum of values with one decimal (0.1 is not a binary fraction) is exact to ~1e-12.
 */
export const SUMMARY_ENCODING: LimbEncodingOptions = Object.freeze({ fractionalBits: 40, limbs: 4 });

/** Values per count cell: the count (0 when suppressed) and the suppressed flag (1 when suppressed). */
export const COUNT_CELL_VALUES = 2;
/** Values per numeric column: count, sum, sum of squares, suppressed flag. */
export const MOMENT_CELL_VALUES = 4;

/** Strata in order: all records first, then one per listed level of the strata column. */
export function summaryStrata(shape: SummaryShape): string[] {
  return ['all', ...(shape.strata === undefined ? [] : shape.categories[shape.strata]!)];
}

/** Sorted keys: the order every site walks the spec's tables in. */
export function sortedKeys(record: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(record).sort();
}

/**
 * Values of one stratum's block: records and label positives (count cells), per numeric column
 * the moments, per category column one cell per level plus `other`, per histogram one cell
 * per bin (edges + 1), per cross-tab one cell per (levels + 1) x (levels + 1).
 */
export function summaryBlockLength(shape: SummaryShape): number {
  const cells =
    2 +
    sortedKeys(shape.categories).reduce((n, k) => n + shape.categories[k]!.length + 1, 0) +
    sortedKeys(shape.histograms).reduce((n, k) => n + shape.histograms[k]!.length + 1, 0) +
    shape.crossTabs.reduce(
      (n, [a, b]) => n + (shape.categories[a]!.length + 1) * (shape.categories[b]!.length + 1),
      0,
    );
  return cells * COUNT_CELL_VALUES + shape.numeric.length * MOMENT_CELL_VALUES;
}

/** Values of a site's summary vector (before limb encoding). */
export function summaryVectorLength(shape: SummaryShape): number {
  return summaryStrata(shape).length * summaryBlockLength(shape);
}
