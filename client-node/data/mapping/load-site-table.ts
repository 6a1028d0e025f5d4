import { HeflError } from '../../../common/errors/index.js';
import { loadRawCsv } from '../load-raw-csv.js';
import type { RawTable } from '../raw-table.js';
import { loadMappedRawTable, type MappedInput } from './load-mapped-input.js';

/** Which kind of records a site reads; `csv` is the default. */
export type DataInput = 'csv' | MappedInput;
export const DATA_INPUTS: readonly DataInput[] = ['csv', 'fhir', 'omop'];

/** Where a site's records are: a CSV file, or a FHIR/OMOP location plus the mapping file. */
export interface TableLocation {
  readonly input?: DataInput;
  /** CSV file, FHIR export folder, OMOP CSV folder or `postgres://` URL. */
  readonly path: string;
  /** Required for fhir and omop. */
  readonly mapping?: string;
}

/**
 * The one dispatch from input kind to the raw table (cell texts, before any typing) that
 * the job's feature schema, code normalisation and `hefl site check` read. `columns`
 * names a headerless CSV's columns; a mapped input takes its names from the mapping.
 */
export async function loadRawTable(location: TableLocation, columns?: readonly string[]): Promise<RawTable> {
  const input = location.input ?? 'csv';
  if (input === 'csv') return loadRawCsv(location.path, columns);
  if (!location.mapping) {
    throw new HeflError('invalid_argument', `--input ${input} needs --mapping FILE`);
  }
  if (columns) throw new HeflError('invalid_config', `--columns applies to headerless CSV files only`);
  return loadMappedRawTable(input, location.path, location.mapping);
}
