import { z } from 'zod';

/**
 * How category cells are normalised before they are compared with each other or with a
 * declared vocabulary, identically at every site. `numericCodes`: a code that reads as a
 * plain decimal number is compared as that number (`4`, `4.0` and `04` are one code, written
 * `4`). `whitespace`: `trim` removes leading and trailing blanks, `collapse` also turns inner
 * runs of blanks into one space. `case`: `keep` compares case-sensitively, `lower` folds to
 * lower case. Missing-value tokens are recognised before this runs.
 */
export const codeNormalisationSchema = z.strictObject({
  numericCodes: z.boolean().default(true),
  whitespace: z.enum(['trim', 'collapse']).default('trim'),
  case: z.enum(['keep', 'lower']).default('keep'),
});
export type CodeNormalisation = Readonly<z.output<typeof codeNormalisationSchema>>;
export const DEFAULT_CODE_NORMALISATION: CodeNormalisation = Object.freeze({
  numericCodes: true,
  whitespace: 'trim',
  case: 'keep',
});

const name = z.string().min(1).max(200);
const code = z.union([z.string().min(1).max(200), z.number()]).transform((c) => String(c));

/**
 * A numeric feature. `unit` is documentation and the unit the site must deliver; `range` is
 * the plausible [min, max] in that unit. Values outside it are handled by `outOfRange`:
 * `refuse` (the site declines the job), `drop-row`, or `keep` (only counted). A column whose
 * values mostly fall outside the range but inside it after a usual unit conversion is taken
 * as a unit mismatch and always refused.
 */
const numericFeatureSchema = z
  .strictObject({
    name,
    type: z.literal('numeric'),
    unit: z.string().min(1).max(50).optional(),
    range: z.tuple([z.number(), z.number()]).optional(),
    outOfRange: z.enum(['refuse', 'drop-row', 'keep']).default('refuse'),
  })
  .refine((f) => f.range === undefined || f.range[0] < f.range[1], {
    message: 'range must be [min, max] with min < max',
    path: ['range'],
  });

/**
 * A categorical feature with a declared vocabulary: each code becomes one one-hot input at
 * every site. `system` names the code system (e.g. `http://loinc.org`, `SNOMED CT`, `local`).
 * A value outside the vocabulary goes to one extra `other` input, drops its row, or makes
 * the site decline the job (`refuse`, the default).
 */
const categoricalFeatureSchema = z.strictObject({
  name,
  type: z.literal('categorical'),
  vocabulary: z.strictObject({
    system: z.string().min(1).max(200).optional(),
    codes: z.array(code).min(1).max(10_000),
  }),
  outOfVocabulary: z.enum(['refuse', 'drop-row', 'other']).default('refuse'),
});

/** A yes/no feature: `codes` = [no, yes] (default [0, 1]); it becomes one 0/1 input. */
const binaryFeatureSchema = z.strictObject({
  name,
  type: z.literal('binary'),
  codes: z.tuple([code, code]).default(['0', '1']),
  outOfVocabulary: z.enum(['refuse', 'drop-row']).default('refuse'),
});

export const featureDeclarationSchema = z.discriminatedUnion('type', [
  numericFeatureSchema,
  categoricalFeatureSchema,
  binaryFeatureSchema,
]);
export type FeatureDeclaration = Readonly<z.output<typeof featureDeclarationSchema>>;

/** An entry of `data.features`: a column name (kind from `categorical` or inferred) or a declaration. */
export const featureEntrySchema = z.union([name, featureDeclarationSchema]);
export type FeatureEntry = z.output<typeof featureEntrySchema>;

/** The declared features of a job's feature list (the object entries), in order. */
export function declaredFeatures(entries: readonly FeatureEntry[] | undefined): FeatureDeclaration[] {
  return (entries ?? []).filter((e): e is FeatureDeclaration => typeof e !== 'string');
}

/** Every feature column name of a job's feature list, in order. */
export function featureNames(entries: readonly FeatureEntry[]): string[] {
  return entries.map((e) => (typeof e === 'string' ? e : e.name));
}
