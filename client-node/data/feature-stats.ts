import { HeflError } from '../../common/errors/index.js';
import { statsSlotsOf } from '../../common/fl/round-lengths.js';
import { CATEGORY_BUCKETS } from '../../common/fl/round-section-shapes.js';
import { categoryBucket } from './category-bucket.js';
import type { ColumnSpec, SiteTable } from './csv-table.js';
import { tableColumns } from './table-columns.js';

/** Default number of hashed buckets per categorical column. */
export const DEFAULT_CATEGORY_BUCKETS = CATEGORY_BUCKETS;

/**
 * Where each column's statistics sit in the statistics vector. Columns follow schema order:
 * a numeric column takes 3 slots [count, sum, sumOfSquares] of its raw values; a categorical
 * column takes `buckets` slots, slot b counting the rows whose value hashes to bucket b; a
 * categorical column with a declared vocabulary takes one slot per code (rows with that code)
 * plus one for rows outside the vocabulary.
 */
export interface StatsLayout {
  readonly length: number;
  readonly buckets: number;
  readonly numeric: readonly { readonly name: string; readonly offset: number }[];
  readonly categorical: readonly {
    readonly name: string;
    readonly offset: number;
    /** The declared codes (slot i = code i, last slot = outside), or undefined for hashed buckets. */
    readonly vocabulary?: readonly string[];
  }[];
}

/** Options shared by every site of a job; all must use the same values. */
export interface FeatureStatsOptions {
  /** Per-job secret-ish string keying the category hash (see `categoryBucket`). */
  readonly salt: string;
  /** Buckets per categorical column, default 64. */
  readonly buckets?: number;
}

/**
 * The statistics vector's layout for a schema. The caller uses `length` to size the encrypted
 * sum and picks a scale: sums of squares grow like rows * value^2 (e.g. 450 rows of cholesterol
 * ~ 2.5e7 per site), so fixed-point encodings must leave room for that.
 */
export function statsLayout(
  schema: readonly ColumnSpec[],
  buckets: number = DEFAULT_CATEGORY_BUCKETS,
): StatsLayout {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 65_536) {
    throw new HeflError('invalid_config', 'category buckets must be an integer in [1, 65536]');
  }
  const numeric: { name: string; offset: number }[] = [];
  const categorical: { name: string; offset: number; vocabulary?: readonly string[] }[] = [];
  let offset = 0;
  for (const spec of schema) {
    // Slot counts from common/fl/round-lengths (the coordinator checks the same lengths).
    if (spec.kind === 'numeric') {
      numeric.push({ name: spec.name, offset });
      offset += statsSlotsOf(spec);
    } else if (spec.vocabulary) {
      categorical.push({ name: spec.name, offset, vocabulary: spec.vocabulary });
      offset += statsSlotsOf(spec);
    } else {
      categorical.push({ name: spec.name, offset });
      offset += buckets;
    }
  }
  return Object.freeze({ length: offset, buckets, numeric, categorical });
}

/**
 * This site's statistics vector (float64, raw values, no scaling). It is meant to be summed
 * with the other sites' vectors under encryption; it must never be sent in the clear, since it
 * reveals the site's case mix. Throws `invalid_data` if the table does not fit the schema.
 */
export function computeLocalStats(
  table: SiteTable,
  schema: readonly ColumnSpec[],
  options: FeatureStatsOptions,
): Float64Array {
  if (options.salt === '') throw new HeflError('invalid_config', 'feature-stats salt must not be empty');
  const layout = statsLayout(schema, options.buckets);
  const columns = tableColumns(table, schema);
  const stats = new Float64Array(layout.length);
  layout.numeric.forEach(({ offset }, k) => {
    let sum = 0;
    let sumOfSquares = 0;
    for (const v of columns.numeric[k]!) {
      sum += v;
      sumOfSquares += v * v;
    }
    stats[offset] = table.rows;
    stats[offset + 1] = sum;
    stats[offset + 2] = sumOfSquares;
  });
  layout.categorical.forEach(({ name, offset, vocabulary }, k) => {
    if (vocabulary) {
      const slotOf = new Map(vocabulary.map((code, i) => [code, i]));
      for (const value of columns.categorical[k]!)
        stats[offset + (slotOf.get(value) ?? vocabulary.length)]! += 1;
      return;
    }
    const cache = new Map<string, number>();
    for (const value of columns.categorical[k]!) {
      let bucket = cache.get(value);
      if (bucket === undefined) {
        bucket = categoryBucket(name, value, options.salt, layout.buckets);
        cache.set(value, bucket);
      }
      stats[offset + bucket]! += 1;
    }
  });
  return stats;
}
