import { HeflError } from '../../common/errors/index.js';
import { categoryBucket } from './category-bucket.js';
import type { ColumnSpec, SiteTable } from './csv-table.js';
import { DEFAULT_CATEGORY_BUCKETS, statsLayout } from './feature-stats.js';
import { tableColumns } from './table-columns.js';

const STD_FLOOR = 1e-6;

export interface FeaturePipelineOptions {
  /** The same salt the sites used in `computeLocalStats`. */
  readonly salt: string;
  /** The same bucket count the sites used, default 64. */
  readonly buckets?: number;
  /**
   * A bucket becomes a one-hot feature only if its global count is at least this (default 1).
   * Raising it keeps rare categories, which could single out a patient, out of the model.
   */
  readonly minCategoryCount?: number;
}

/** Model input: row-major features, `rows * cols` values, and one 0/1 target per row. */
export interface TransformedTable {
  readonly x: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly y: Float32Array;
}

/**
 * Everything needed to rebuild a pipeline without the sites' statistics: what the model card
 * carries so a released model can be applied to new rows (`FeaturePipeline.fromJSON`).
 */
export interface FeaturePipelineJson {
  readonly schema: readonly ColumnSpec[];
  readonly numeric: readonly NumericStep[];
  readonly categorical: readonly CategoricalStep[];
  readonly salt: string;
  readonly bucketCount: number;
}

interface NumericStep {
  readonly name: string;
  readonly mean: number;
  readonly std: number;
}

interface CategoricalStep {
  readonly name: string;
  /** Globally non-empty bucket indices, ascending; position = one-hot slot (hashed columns). */
  readonly buckets: readonly number[];
  /** Declared codes, one slot each in this order, then `other` when set (declared columns). */
  readonly vocabulary?: readonly string[];
  readonly other?: boolean;
}

/**
 * The job-wide feature transform, built from the SUM of all sites' statistics vectors (decoded
 * after secure aggregation), so every site normalises identically without any site's own
 * statistics leaving it in the clear. Numeric columns become z-scores with the global mean and
 * std (population std, floored at 1e-6); hashed categorical columns become one-hot over all
 * `bucketCount` buckets in bucket order (a fixed width, so every upload's size follows from the
 * schema alone), where only globally non-empty buckets are ever set: unseen or rare categories,
 * and buckets no site filled, stay all zeros.
 * Immutable once built.
 */
export class FeaturePipeline {
  readonly schema: readonly ColumnSpec[];
  /** Output column names: the numeric column name, or `column#bucket` for a one-hot slot. */
  readonly featureNames: readonly string[];
  readonly numeric: readonly NumericStep[];
  readonly categorical: readonly CategoricalStep[];
  readonly salt: string;
  readonly bucketCount: number;

  private constructor(
    schema: readonly ColumnSpec[],
    numeric: NumericStep[],
    categorical: CategoricalStep[],
    salt: string,
    bucketCount: number,
  ) {
    this.schema = Object.freeze(schema.map((c) => Object.freeze({ ...c })));
    this.numeric = Object.freeze(numeric.map((s) => Object.freeze(s)));
    this.categorical = Object.freeze(
      categorical.map((s) => Object.freeze({ ...s, buckets: Object.freeze([...s.buckets]) })),
    );
    const names: string[] = [];
    let n = 0;
    let c = 0;
    for (const spec of this.schema) {
      if (spec.kind === 'numeric') names.push(numeric[n++]!.name);
      else names.push(...slotNames(categorical[c++]!, bucketCount));
    }
    this.featureNames = Object.freeze(names);
    this.salt = salt;
    this.bucketCount = bucketCount;
    Object.freeze(this);
  }

  /**
   * Builds the pipeline from the summed statistics vector (layout: `statsLayout`). Throws
   * `invalid_config` for bad options and `invalid_data` when the vector has the wrong length,
   * a non-finite entry or a numeric column without any global count.
   */
  static fromGlobalStats(
    schema: readonly ColumnSpec[],
    globalSum: Float64Array | readonly number[],
    options: FeaturePipelineOptions,
  ): FeaturePipeline {
    const buckets = options.buckets ?? DEFAULT_CATEGORY_BUCKETS;
    const minCount = options.minCategoryCount ?? 1;
    if (options.salt === '') throw new HeflError('invalid_config', 'feature-stats salt must not be empty');
    if (!(minCount > 0)) throw new HeflError('invalid_config', 'minCategoryCount must be positive');
    const layout = statsLayout(schema, buckets);
    if (globalSum.length !== layout.length) {
      throw new HeflError(
        'invalid_data',
        `global statistics have ${globalSum.length} entries, the schema needs ${layout.length}`,
      );
    }
    for (const value of globalSum) {
      if (!Number.isFinite(value))
        throw new HeflError('invalid_data', 'global statistics contain a non-finite entry');
    }
    const at = (i: number): number => globalSum[i]!;
    const numeric = layout.numeric.map(({ name, offset }) => {
      const count = at(offset);
      if (!(count > 0)) throw new HeflError('invalid_data', `column '${name}': global count is zero`);
      const mean = at(offset + 1) / count;
      const variance = Math.max(0, at(offset + 2) / count - mean * mean);
      return { name, mean, std: Math.max(Math.sqrt(variance), STD_FLOOR) };
    });
    const categorical = layout.categorical.map(({ name, offset, vocabulary }): CategoricalStep => {
      if (vocabulary) {
        const other = schema.find((c) => c.name === name)?.other === true;
        return { name, buckets: [], vocabulary, other };
      }
      const active: number[] = [];
      for (let b = 0; b < buckets; b++) if (at(offset + b) >= minCount) active.push(b);
      return { name, buckets: active };
    });
    return new FeaturePipeline(schema, numeric, categorical, options.salt, buckets);
  }

  /** The frozen transform as plain data (for the model card). */
  toJSON(): FeaturePipelineJson {
    return {
      schema: this.schema,
      numeric: this.numeric,
      categorical: this.categorical,
      salt: this.salt,
      bucketCount: this.bucketCount,
    };
  }

  /** Rebuilds a pipeline from `toJSON` output; `invalid_data` when it does not hang together. */
  static fromJSON(json: FeaturePipelineJson): FeaturePipeline {
    const numericNames = json.schema.filter((c) => c.kind === 'numeric').map((c) => c.name);
    const categoricalNames = json.schema.filter((c) => c.kind === 'categorical').map((c) => c.name);
    const fits =
      numericNames.join('\u0000') === json.numeric.map((n) => n.name).join('\u0000') &&
      categoricalNames.join('\u0000') === json.categorical.map((c) => c.name).join('\u0000') &&
      json.numeric.every((n) => Number.isFinite(n.mean) && n.std > 0);
    if (!fits) throw new HeflError('invalid_data', 'feature pipeline: schema and steps do not match');
    return new FeaturePipeline(
      json.schema,
      [...json.numeric],
      [...json.categorical],
      json.salt,
      json.bucketCount,
    );
  }

  get cols(): number {
    return this.featureNames.length;
  }

  /** Applies the frozen transform to a local table; `invalid_data` if it does not fit the schema. */
  transform(table: SiteTable): TransformedTable {
    const columns = tableColumns(table, this.schema);
    const rows = table.rows;
    const cols = this.cols;
    const x = new Float32Array(rows * cols);
    let col = 0;
    let n = 0;
    let c = 0;
    for (const spec of this.schema) {
      if (spec.kind === 'numeric') {
        const { mean, std } = this.numeric[n]!;
        const values = columns.numeric[n++]!;
        for (let r = 0; r < rows; r++) x[r * cols + col] = (values[r]! - mean) / std;
        col++;
        continue;
      }
      const step = this.categorical[c]!;
      const values = columns.categorical[c++]!;
      if (step.vocabulary) {
        const codeSlot = new Map(step.vocabulary.map((code, i) => [code, i]));
        const otherSlot = step.other ? step.vocabulary.length : -1;
        for (let r = 0; r < rows; r++) {
          const slot = codeSlot.get(values[r]!) ?? otherSlot;
          if (slot >= 0) x[r * cols + col + slot] = 1;
        }
        col += step.vocabulary.length + (step.other ? 1 : 0);
        continue;
      }
      const active = new Set(step.buckets);
      const slotOf = new Map<string, number>();
      for (let r = 0; r < rows; r++) {
        const value = values[r]!;
        let slot = slotOf.get(value);
        if (slot === undefined) {
          const bucket = categoryBucket(step.name, value, this.salt, this.bucketCount);
          slot = active.has(bucket) ? bucket : -1;
          slotOf.set(value, slot);
        }
        if (slot >= 0) x[r * cols + col + slot] = 1;
      }
      col += this.bucketCount;
    }
    return { x, rows, cols, y: Float32Array.from(table.labels) };
  }
}

/** `column=code` (and `column=other`) for declared vocabularies, `column#bucket` for every hashed bucket. */
function slotNames(step: CategoricalStep, bucketCount: number): string[] {
  if (!step.vocabulary) return Array.from({ length: bucketCount }, (_, b) => `${step.name}#${b}`);
  return [
    ...step.vocabulary.map((code) => `${step.name}=${code}`),
    ...(step.other ? [`${step.name}=other`] : []),
  ];
}
