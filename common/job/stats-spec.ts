import { z } from 'zod';

const column = z.string().min(1).max(120);
const level = z.string().min(1).max(120);

/**
 * A federated statistics job (`model: { kind: stats }`): descriptive tables over all sites'
 * records, from exact encrypted sums (client-node/stats), no model. Everything it computes
 * is fixed by the spec, so every site sends a vector of the same length:
 * - `numeric`: columns with count, mean and standard deviation;
 * - `categories`: a column's listed levels (each row's value as text: `1`, `2.5`, `male`),
 *   a frequency table with one cell per level plus `other`;
 * - `histograms`: a numeric column's bin edges (strictly increasing): bins (-inf, e0),
 *   [e0, e1), ..., [e_last, +inf); quartiles are read from them (resolution: one bin);
 * - `crossTabs`: pairs of columns from `categories`, one cell per level pair (plus `other`);
 * - `strata`: a column from `categories`; every table is given overall and per listed level.
 * The label column always gets a count of positive records per stratum.
 */
export const statsSchema = z
  .strictObject({
    kind: z.literal('stats'),
    numeric: z.array(column).max(200).default([]),
    categories: z.record(column, z.array(level).min(1).max(100)).default({}),
    histograms: z.record(column, z.array(z.number()).min(1).max(100)).default({}),
    crossTabs: z
      .array(z.tuple([column, column]))
      .max(50)
      .default([]),
    strata: column.optional(),
  })
  .superRefine((spec, ctx) => {
    for (const [name, edges] of Object.entries(spec.histograms)) {
      if (!edges.every((e, i) => Number.isFinite(e) && (i === 0 || e > edges[i - 1]!)))
        ctx.addIssue({
          code: 'custom',
          path: ['histograms', name],
          message: 'bin edges must be finite and strictly increasing',
        });
    }
    for (const [name, levels] of Object.entries(spec.categories)) {
      if (new Set(levels).size !== levels.length)
        ctx.addIssue({ code: 'custom', path: ['categories', name], message: 'lists a level twice' });
    }
    spec.crossTabs.forEach((pair, i) => {
      pair.forEach((name, k) => {
        if (!(name in spec.categories))
          ctx.addIssue({
            code: 'custom',
            path: ['crossTabs', i, k],
            message: `'${name}' has no levels: list it under categories`,
          });
      });
      if (pair[0] === pair[1])
        ctx.addIssue({ code: 'custom', path: ['crossTabs', i], message: 'crosses a column with itself' });
    });
    if (spec.strata !== undefined && !(spec.strata in spec.categories))
      ctx.addIssue({
        code: 'custom',
        path: ['strata'],
        message: `'${spec.strata}' has no levels: list it under categories`,
      });
    const tables =
      spec.numeric.length + Object.keys(spec.categories).length + Object.keys(spec.histograms).length;
    if (tables === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['numeric'],
        message: 'a stats job needs at least one of numeric, categories, histograms',
      });
  });

export interface StatsSpec {
  readonly kind: 'stats';
  readonly numeric: readonly string[];
  readonly categories: Readonly<Record<string, readonly string[]>>;
  readonly histograms: Readonly<Record<string, readonly number[]>>;
  readonly crossTabs: readonly (readonly [string, string])[];
  readonly strata?: string;
}

/** A frozen copy of a validated stats spec. */
export function freezeStatsSpec(spec: z.output<typeof statsSchema>): StatsSpec {
  return Object.freeze({
    kind: 'stats',
    numeric: Object.freeze([...spec.numeric]),
    categories: Object.freeze(
      Object.fromEntries(Object.entries(spec.categories).map(([k, v]) => [k, Object.freeze([...v])])),
    ),
    histograms: Object.freeze(
      Object.fromEntries(Object.entries(spec.histograms).map(([k, v]) => [k, Object.freeze([...v])])),
    ),
    crossTabs: Object.freeze(spec.crossTabs.map((p) => Object.freeze([p[0], p[1]] as const))),
    ...(spec.strata === undefined ? {} : { strata: spec.strata }),
  });
}
