import { HeflError } from '../../common/errors/index.js';
import { declaredFeatures, featureNames } from '../../common/job/feature-schema.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import { applyFeatureSchema, type SchemaApplication } from './apply-feature-schema.js';
import type { MissingValueReport } from './csv-table.js';
import { tableFromRaw } from './parse-csv.js';
import type { RawTable } from './raw-table.js';

export interface JobTable extends SchemaApplication {
  readonly report: MissingValueReport;
}

/**
 * Reads a raw table the way a job's data section asks: its label, its feature list (other
 * columns ignored), categorical columns, missing rule, code normalisation, then the declared
 * feature schema. Data that cannot serve the job is `failed_precondition` with a public
 * detail naming the column or feature and what is wrong (never a value); `problems` of the
 * schema are returned for the caller to decide (see `requireFit`).
 */
export function siteTableForJob(raw: RawTable, data: JobSpec['data']): JobTable {
  const refuse = (message: string, publicDetail: string) =>
    new HeflError('failed_precondition', message, { publicDetail });
  if (!raw.columns.includes(data.label)) {
    throw refuse(
      `${raw.source}: no label column '${data.label}'`,
      `this site's data has no label column '${data.label}'`,
    );
  }
  const declared = declaredFeatures(data.features);
  let drop: string[] = [];
  if (data.features) {
    const wanted = featureNames(data.features);
    const missing = wanted.filter((f) => !raw.columns.includes(f));
    if (missing.length > 0) {
      throw refuse(
        `${raw.source}: data lacks column(s) ${missing.join(', ')}`,
        `this site's data lacks column(s) ${missing.join(', ')}`,
      );
    }
    drop = raw.columns.filter((c) => c !== data.label && !wanted.includes(c));
  }
  const categorical = [
    ...new Set([...data.categorical, ...declared.filter((f) => f.type !== 'numeric').map((f) => f.name)]),
  ];
  let parsed: ReturnType<typeof tableFromRaw>;
  try {
    parsed = tableFromRaw(raw, {
      label: data.label,
      categorical,
      missing: data.missing,
      drop,
      normalise: data.normalise,
    });
  } catch (cause) {
    if (!HeflError.is(cause, 'invalid_data') && !HeflError.is(cause, 'invalid_config')) throw cause;
    throw new HeflError('failed_precondition', cause.message, {
      cause,
      publicDetail: `this site's data does not fit the job's data section (${cause.code === 'invalid_config' ? 'columns' : 'cells'}; details in the site's log)`,
    });
  }
  const applied = applyFeatureSchema(parsed.table, declared, data.normalise);
  return { ...applied, report: parsed.report };
}

/** Throws `failed_precondition` listing every schema problem (public detail: features and what is wrong). */
export function requireFit(table: JobTable): void {
  if (table.problems.length === 0) return;
  throw new HeflError('failed_precondition', table.problems.map((p) => p.message).join('; '), {
    publicDetail: table.problems.map((p) => p.publicReason).join('; '),
  });
}
