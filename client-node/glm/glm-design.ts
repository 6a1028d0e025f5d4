import { HeflError } from '../../common/errors/index.js';
import type { SiteTable } from '../data/csv-table.js';
import type { FeaturePipeline } from '../data/feature-pipeline.js';
import { tableColumns } from '../data/table-columns.js';
import type { GlmFamilyName } from './glm-family.js';
import { INTERCEPT } from './glm-irls.js';
import type { GlmDesign } from './glm-statistics.js';

/**
 * A GLM design from the job's feature pipeline (built from the round-0 encrypted sums, so
 * every site has the same columns): an intercept, numeric columns on their ORIGINAL scale
 * (read from the table in float64, not the pipeline's float32 z-scores, so the fit is the
 * one a statistician runs on the pooled records), and each categorical column one-hot
 * without its first slot (the reference level; with an intercept a full one-hot is singular).
 * The response is the 0/1 class for `binomial`, the label cell's number for `gaussian` and
 * `poisson`.
 */
export function glmDesignFor(
  pipeline: FeaturePipeline,
  tables: readonly SiteTable[],
  family: GlmFamilyName = 'binomial',
): GlmDesign {
  const names: string[] = [INTERCEPT];
  /** Per output column: numeric index, or the pipeline's one-hot column index. */
  const sources: ({ numeric: number } | { slot: number })[] = [];
  let col = 0;
  let numeric = 0;
  let categorical = 0;
  for (const spec of pipeline.schema) {
    if (spec.kind === 'numeric') {
      names.push(spec.name);
      sources.push({ numeric: numeric++ });
      col++;
      continue;
    }
    const step = pipeline.categorical[categorical++]!;
    // Hashed columns: only buckets some site filled (the pipeline's fixed width keeps empty
    // buckets as all-zero inputs, which would make the information matrix singular).
    const slots = step.vocabulary
      ? Array.from({ length: step.vocabulary.length + (step.other ? 1 : 0) }, (_, s) => s)
      : [...step.buckets];
    for (const s of slots.slice(1)) {
      names.push(pipeline.featureNames[col + s]!);
      sources.push({ slot: col + s });
    }
    col += step.vocabulary ? slots.length : pipeline.bucketCount;
  }
  const p = names.length;
  const rows = tables.reduce((a, t) => a + t.rows, 0);
  const x = new Float64Array(rows * p);
  const y = new Float64Array(rows);
  let at = 0;
  for (const table of tables) {
    const columns = tableColumns(table, pipeline.schema);
    const transformed = pipeline.transform(table);
    for (let r = 0; r < table.rows; r++, at++) {
      x[at * p] = 1;
      sources.forEach((source, j) => {
        x[at * p + j + 1] =
          'numeric' in source
            ? columns.numeric[source.numeric]![r]!
            : transformed.x[r * transformed.cols + source.slot]!;
      });
      // binomial: the 0/1 class; gaussian and poisson: the label cell's value (checked by the family).
      y[at] = family === 'binomial' ? table.labels[r]! : (table.labelValues?.[r] ?? Number.NaN);
    }
  }
  if (rows === 0) throw new HeflError('invalid_data', 'GLM: this site has no records');
  return { rows, names, x, y };
}
