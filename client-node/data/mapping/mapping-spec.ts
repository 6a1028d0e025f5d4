import { z } from 'zod';
import { HeflError } from '../../../common/errors/index.js';
import { zodProblems } from '../../../common/validation/zod-problems.js';

/** How several events of one patient inside the window become one cell. */
export const AGGREGATES = ['last', 'first', 'mean', 'min', 'max', 'any', 'count'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** Aggregates that need a numeric value (a quantity, an integer, a number column). */
const NUMERIC_AGGREGATES: readonly Aggregate[] = ['mean', 'min', 'max'];

const nonEmpty = z.string().trim().min(1);

const entrySchema = z
  .object({
    name: nonEmpty.regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a column name: letters, digits, _ . -'),
    resource: nonEmpty,
    codes: z.array(z.union([nonEmpty, z.number().int().nonnegative()])).default([]),
    value: nonEmpty.optional(),
    window: z
      .object({ from: z.number().finite(), to: z.number().finite() })
      .strict()
      .refine((w) => w.from <= w.to, 'from must not be after to')
      .optional(),
    aggregate: z.enum(AGGREGATES).default('last'),
    unit: z.union([nonEmpty, z.number().int().nonnegative()]).optional(),
    convert: z.record(z.string(), z.number().finite().positive()).optional(),
    map: z.record(z.string(), z.union([z.string(), z.number().finite()])).optional(),
  })
  .strict();

const mappingSchema = z
  .object({
    source: z.enum(['fhir', 'omop']),
    index: z
      .object({
        resource: nonEmpty,
        codes: z.array(z.union([nonEmpty, z.number().int().nonnegative()])).default([]),
        pick: z.enum(['first', 'last']).default('first'),
      })
      .strict()
      .optional(),
    features: z.array(entrySchema).min(1),
    label: entrySchema,
  })
  .strict();

/**
 * One column the adapter builds: which resources (FHIR resource type or OMOP table) and
 * codes (`system|code`, or OMOP concept ids as digit strings) it takes, which value of
 * them, the time window in days relative to the patient's index event (inclusive), how
 * several values become one, the target unit with factors from other units, and how codes
 * become cell text.
 */
export interface MappingEntry {
  readonly name: string;
  /** FHIR resource type as written (`Observation`), or OMOP table in lower case. */
  readonly resource: string;
  /** Empty means every resource of that type (e.g. Patient). */
  readonly codes: ReadonlySet<string>;
  readonly value: string;
  readonly window: { readonly from: number; readonly to: number } | undefined;
  readonly aggregate: Aggregate;
  /** Target unit (UCUM code, or OMOP unit concept id); values in it pass unchanged. */
  readonly unit: string | undefined;
  /** Factor per source unit: target = source × factor, rounded to 12 significant digits. */
  readonly convert: ReadonlyMap<string, number>;
  /** Code (or value text) → cell text; when given, an unlisted code is an error. */
  readonly map: ReadonlyMap<string, string> | undefined;
  /** `features[3] 'chol'` or `label 'num'`: how messages name the entry. */
  readonly where: string;
}

/** A parsed, frozen mapping file: the index event, the feature columns and the label column. */
export interface MappingSpec {
  readonly source: 'fhir' | 'omop';
  readonly index:
    | { readonly resource: string; readonly codes: ReadonlySet<string>; readonly pick: 'first' | 'last' }
    | undefined;
  readonly features: readonly MappingEntry[];
  readonly label: MappingEntry;
  /** Features then label: the columns of the table, in this order. */
  readonly columns: readonly MappingEntry[];
}

/** The value each source understands per resource, and the default when `value` is left out. */
export interface MappingVocabulary {
  /** Canonical resource name for a written one (case as the source wants), or undefined. */
  resource(name: string): string | undefined;
  /** Allowed value paths of a resource; the first is the default. */
  values(resource: string): readonly string[];
  /** Whether a value path yields numbers (so mean/min/max and unit conversion apply). */
  numeric(resource: string, value: string): boolean;
  /** Whether records of the resource carry no time (the patient record itself): no window. */
  timeless(resource: string): boolean;
}

/**
 * Validates a mapping file's content against the source's vocabulary. Throws
 * `invalid_config` listing every problem at once as `path: message` under `fileName`.
 */
export function parseMappingSpec(
  value: unknown,
  fileName: string,
  vocabularyFor: (source: 'fhir' | 'omop') => MappingVocabulary,
): MappingSpec {
  const fail = (problems: string[]) => {
    throw new HeflError('invalid_config', `${fileName}: invalid mapping:\n  ${problems.join('\n  ')}`);
  };
  const parsed = mappingSchema.safeParse(value);
  if (!parsed.success) fail(zodProblems(parsed.error));
  const raw = parsed.data!;
  const vocabulary = vocabularyFor(raw.source);
  const problems: string[] = [];
  const codeSet = (codes: readonly (string | number)[]) => new Set(codes.map((c) => String(c).trim()));

  let index: MappingSpec['index'];
  if (raw.index) {
    const resource = vocabulary.resource(raw.index.resource);
    if (!resource) problems.push(`index.resource: unknown resource '${raw.index.resource}'`);
    else if (vocabulary.timeless(resource)) problems.push(`index.resource: ${resource} records have no time`);
    index = Object.freeze({
      resource: resource ?? '',
      codes: codeSet(raw.index.codes),
      pick: raw.index.pick,
    });
  }

  const entry = (e: z.infer<typeof entrySchema>, path: string, where: string): MappingEntry => {
    const resource = vocabulary.resource(e.resource);
    if (!resource) problems.push(`${path}.resource: unknown resource '${e.resource}'`);
    const allowed = resource ? vocabulary.values(resource) : [];
    const valuePath = e.value ?? allowed[0] ?? '';
    if (resource && !allowed.includes(valuePath)) {
      problems.push(
        `${path}.value: '${valuePath}' is not a value of ${resource} (one of ${allowed.join(', ')})`,
      );
    }
    const numeric = resource !== undefined && vocabulary.numeric(resource, valuePath);
    if (NUMERIC_AGGREGATES.includes(e.aggregate) && !numeric) {
      problems.push(`${path}.aggregate: '${e.aggregate}' needs a numeric value, '${valuePath}' is not`);
    }
    if ((e.unit !== undefined || e.convert) && !numeric) {
      problems.push(`${path}.unit: only numeric values have units`);
    }
    if (e.convert && e.unit === undefined) problems.push(`${path}.convert: needs 'unit', the target unit`);
    if (e.window && resource && vocabulary.timeless(resource))
      problems.push(`${path}.window: ${resource} records have no time`);
    if (e.window && !raw.index) problems.push(`${path}.window: needs an 'index' event to be relative to`);
    if (valuePath === 'age' && !raw.index)
      problems.push(`${path}.value: 'age' is counted at the 'index' event; give one`);
    return Object.freeze({
      name: e.name,
      resource: resource ?? '',
      codes: codeSet(e.codes),
      value: valuePath,
      window: e.window ? Object.freeze({ ...e.window }) : undefined,
      aggregate: e.aggregate,
      unit: e.unit === undefined ? undefined : String(e.unit),
      convert: new Map(Object.entries(e.convert ?? {}).map(([k, v]) => [k.trim(), v])),
      map: e.map ? new Map(Object.entries(e.map).map(([k, v]) => [k.trim(), String(v)])) : undefined,
      where,
    });
  };
  const features = raw.features.map((e, i) => entry(e, `features.${i}`, `features[${i}] '${e.name}'`));
  const label = entry(raw.label, 'label', `label '${raw.label.name}'`);
  const columns = [...features, label];
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) problems.push(`${c.where}: duplicate column name`);
    seen.add(c.name);
  }
  if (problems.length > 0) fail(problems);
  return Object.freeze({
    source: raw.source,
    index,
    features: Object.freeze(features),
    label,
    columns: Object.freeze(columns),
  });
}
