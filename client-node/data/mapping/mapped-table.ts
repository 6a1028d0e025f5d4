import { HeflError } from '../../../common/errors/index.js';
import type { CsvTableOptions, ParsedCsv } from '../csv-table.js';
import { parseCsv } from '../parse-csv.js';
import type { MappedRows } from './patient-rows.js';

/**
 * Turns an adapter's rows into exactly what `loadCsv` returns for a CSV with the same cells,
 * by handing them to the CSV loader itself: the missing-value rule, label rule, column kinds
 * and any value normalisation stay one code path for every input. `name` stands for the file
 * in messages; "line N" there is the (N-1)-th patient row. The header names come from the
 * mapping, so `columns` (headerless files) is not accepted.
 */
export function mappedTable(mapped: MappedRows, name: string, options: CsvTableOptions): ParsedCsv {
  if (options.columns)
    throw new HeflError('invalid_config', `${name}: 'columns' applies to headerless CSV files only`);
  if (mapped.rows.length === 0)
    throw new HeflError('invalid_data', `${name}: no patient rows (no patient with an index event)`);
  const lines = [mapped.header, ...mapped.rows].map((cells) => cells.map(quote).join(','));
  const { delimiter: _ignored, ...rest } = options;
  return parseCsv(`${lines.join('\n')}\n`, name, rest);
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}
