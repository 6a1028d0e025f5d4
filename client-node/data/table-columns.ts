import { HeflError } from '../../common/errors/index.js';
import type { ColumnSpec, SiteTable } from './csv-table.js';

/** The table's columns in schema order, split by kind. */
export interface SchemaColumns {
  readonly numeric: readonly Float64Array[];
  readonly categorical: readonly (readonly string[])[];
}

/**
 * Looks up every schema column in the table and checks its kind, so all sites read their data
 * through the same job-wide schema. Throws `invalid_data` naming the first column that is
 * absent or has another kind at this site.
 */
export function tableColumns(table: SiteTable, schema: readonly ColumnSpec[]): SchemaColumns {
  const numeric: Float64Array[] = [];
  const categorical: (readonly string[])[] = [];
  for (const spec of schema) {
    const local = table.featureColumns.find((c) => c.name === spec.name);
    if (local === undefined) {
      throw new HeflError(
        'invalid_data',
        `${table.fileName}: column '${spec.name}' of the job schema is missing`,
      );
    }
    if (local.kind !== spec.kind) {
      throw new HeflError(
        'invalid_data',
        `${table.fileName}: column '${spec.name}' is ${local.kind} here but ${spec.kind} in the job schema`,
      );
    }
    if (spec.kind === 'numeric') numeric.push(table.numeric[spec.name]!);
    else categorical.push(table.categorical[spec.name]!);
  }
  return { numeric, categorical };
}
