import { basename } from 'node:path';
import { HeflError } from '../../../common/errors/index.js';
import type { CsvTableOptions, ParsedCsv } from '../csv-table.js';
import { readFhirExport } from '../fhir/read-fhir-export.js';
import { openOmopCsvFolder } from '../omop/omop-csv-folder.js';
import { openOmopPostgres } from '../omop/omop-postgres.js';
import { readOmop } from '../omop/read-omop.js';
import { tableFromRaw } from '../parse-csv.js';
import type { RawTable } from '../raw-table.js';
import { assertMappingCovers } from './assert-mapping-covers.js';
import type { MappingSpec } from './mapping-spec.js';
import type { MappedRows, MappingCounts } from './patient-rows.js';
import { readMappingFile } from './read-mapping-file.js';

/** Inputs read through a mapping file: a FHIR Bulk Data folder, or OMOP (CSV folder or `postgres://`). */
export type MappedInput = 'fhir' | 'omop';

/** Whether an OMOP location is a PostgreSQL connection string rather than a folder. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

async function readRows(
  input: MappedInput,
  location: string,
  spec: MappingSpec,
): Promise<{ rows: MappedRows; name: string }> {
  if (input === 'fhir') return { rows: await readFhirExport(location, spec), name: basename(location) };
  const source = isPostgresUrl(location)
    ? await openOmopPostgres(location)
    : await openOmopCsvFolder(location);
  try {
    return { rows: await readOmop(source, spec), name: source.name };
  } finally {
    await source.close();
  }
}

/**
 * Reads a FHIR or OMOP input through the mapping file and returns exactly what `loadCsv`
 * returns for a CSV holding the same cells (one row per patient, columns in mapping order,
 * the label last), so the feature pipeline runs unchanged. A code without a `map` entry or
 * a unit without a conversion is `invalid_data` naming the mapping entry.
 */
export async function loadMappedInput(
  input: MappedInput,
  location: string,
  mappingPath: string,
  options: CsvTableOptions,
): Promise<ParsedCsv> {
  if (options.columns)
    throw new HeflError(
      'invalid_config',
      `${basename(mappingPath)}: 'columns' applies to headerless CSV files only`,
    );
  return tableFromRaw(await loadMappedRawTable(input, location, mappingPath), options);
}

/**
 * Reads a FHIR or OMOP input through the mapping file into the `RawTable` every input
 * adapter produces (one row per patient, columns in mapping order, the label last), so
 * code normalisation, the job's feature schema and `hefl site check` read it exactly as
 * they read a CSV. "line N" in messages is the (N-1)-th patient row, as for a CSV.
 */
export async function loadMappedRawTable(
  input: MappedInput,
  location: string,
  mappingPath: string,
): Promise<RawTable> {
  const spec = await readMappingFile(mappingPath);
  const { rows, name } = await readRows(input, location, spec);
  assertMappingCovers(rows.counts);
  if (rows.rows.length === 0)
    throw new HeflError('invalid_data', `${name}: no patient rows (no patient with an index event)`);
  return {
    source: name,
    columns: rows.header,
    columnsFrom: 'mapping',
    rows: rows.rows.map((cells, i) => ({ line: i + 2, cells })),
  };
}

/**
 * Per mapping entry, how many patients have a value (and how many records matched, fell
 * outside the window, had unmapped codes or unknown units): what `hefl site check` shows.
 * Reads the input exactly as the site node would; counts only, never values.
 */
export async function countMappedPatients(
  input: MappedInput,
  location: string,
  mappingPath: string,
): Promise<MappingCounts> {
  const spec = await readMappingFile(mappingPath);
  return (await readRows(input, location, spec)).rows.counts;
}
