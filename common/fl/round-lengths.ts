import { HeflError } from '../errors/index.js';
import { declaredFeatures, featureNames } from '../job/feature-schema.js';
import type { JobSpec } from '../job/job-spec.js';
import { parameterCount } from '../job/model-spec.js';
import { CATEGORY_BUCKETS } from './round-section-shapes.js';
import { summaryVectorLength } from './summary-layout.js';

/**
 * The shape of one feature column as far as sizes go (the site's `ColumnSpec` fits it):
 * a numeric column, a categorical column hashed into {@link CATEGORY_BUCKETS} buckets, or
 * a categorical column with a declared vocabulary (and an `other` input when `other`).
 */
export interface ColumnShape {
  readonly kind: 'numeric' | 'categorical';
  readonly vocabulary?: readonly unknown[];
  readonly other?: boolean;
}

/**
 * The two lengths a job's uploads depend on: `statsLength` statistics in round 0 (before
 * limb encoding) and `parameterCount` model parameters (a GLM: its coefficients; a stats
 * job: the values of its summary, fixed by its spec) in every
 * later round. Both follow from the feature columns alone, never from the records, so every
 * site of a job sends the same sizes and the coordinator can refuse any other at the header.
 */
export interface RoundLengths {
  readonly statsLength: number;
  readonly parameterCount: number;
}

/** Round-0 statistics of one column: numeric [count, sum, sum of squares]; hashed: one per bucket; declared: one per code plus outside. */
export function statsSlotsOf(column: ColumnShape): number {
  if (column.kind === 'numeric') return 3;
  return column.vocabulary ? column.vocabulary.length + 1 : CATEGORY_BUCKETS;
}

/**
 * Model inputs of one column: numeric 1; hashed categorical one per bucket (a fixed count:
 * buckets no site filled stay 0, so the width never depends on the round-0 sums); declared
 * vocabulary one per code, plus `other` when set.
 */
export function inputSlotsOf(column: ColumnShape): number {
  if (column.kind === 'numeric') return 1;
  return column.vocabulary ? column.vocabulary.length + (column.other ? 1 : 0) : CATEGORY_BUCKETS;
}

/** The length of the statistics vector of a schema. */
export function statsLength(columns: readonly ColumnShape[]): number {
  return columns.reduce((n, c) => n + statsSlotsOf(c), 0);
}

/** The model's input width for a schema. */
export function inputWidth(columns: readonly ColumnShape[]): number {
  return columns.reduce((n, c) => n + inputSlotsOf(c), 0);
}

/** A GLM's coefficients: intercept, numeric columns, one-hot slots less one reference slot per categorical. */
export function glmCoefficientCount(columns: readonly ColumnShape[]): number {
  return columns.reduce((n, c) => n + (c.kind === 'numeric' ? 1 : inputSlotsOf(c) - 1), 1);
}

/** The round lengths of a job whose sites read `columns` (the site's own schema, or the spec's). */
export function roundLengthsFor(model: JobSpec['model'], columns: readonly ColumnShape[]): RoundLengths {
  return {
    statsLength: statsLength(columns),
    parameterCount:
      model.kind === 'glm'
        ? glmCoefficientCount(columns)
        : model.kind === 'stats'
          ? summaryVectorLength(model)
          : parameterCount(model, inputWidth(columns)),
  };
}

/**
 * The columns a job's spec fixes on its own: when it lists its features, each is numeric
 * unless listed as categorical or declared categorical (a declared binary feature is one 0/1
 * numeric input). Undefined when the spec does not list them: the sites read the columns from
 * their own data, and state the lengths that gives in their signed acceptance.
 */
export function specColumns(data: JobSpec['data']): ColumnShape[] | undefined {
  if (!data.features) return undefined;
  const declared = new Map(declaredFeatures(data.features).map((f) => [f.name, f]));
  return featureNames(data.features).map((name): ColumnShape => {
    const d = declared.get(name);
    if (d?.type === 'categorical')
      return { kind: 'categorical', vocabulary: d.vocabulary.codes, other: d.outOfVocabulary === 'other' };
    if (d) return { kind: 'numeric' };
    return { kind: data.categorical.includes(name) ? 'categorical' : 'numeric' };
  });
}

/** The round lengths the spec alone fixes, or undefined when the sites' data decides them. */
export function specRoundLengths(spec: JobSpec): RoundLengths | undefined {
  const columns = specColumns(spec.data);
  return columns ? roundLengthsFor(spec.model, columns) : undefined;
}

/**
 * Decodes stored round lengths (JSON `{"statsLength":n,"parameterCount":m}`), checked: both
 * positive safe integers and nothing else. Throws `integrity` naming what is wrong, so a damaged
 * store refuses the one job rather than serving it with a made-up layout.
 */
export function parseRoundLengths(json: string): RoundLengths {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new HeflError('integrity', 'the stored round layout is not JSON');
  }
  const fields = ['parameterCount', 'statsLength'];
  const ok = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.keys(value).sort().join() !== fields.join() ||
    !fields.every((f) => ok((value as Record<string, unknown>)[f]))
  ) {
    throw new HeflError(
      'integrity',
      'the stored round layout is malformed (needs exactly statsLength and parameterCount, positive integers)',
    );
  }
  const { statsLength, parameterCount } = value as RoundLengths;
  return { statsLength, parameterCount };
}
