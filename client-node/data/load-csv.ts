import type { CsvTableOptions, ParsedCsv } from './csv-table.js';
import { loadRawCsv } from './load-raw-csv.js';
import { tableFromRaw } from './parse-csv.js';

/**
 * Reads a site's CSV file (UTF-8) and types it as `parseCsv` does; messages name the file by
 * its base name. An unreadable file is `invalid_argument` with the I/O error as `cause`.
 */
export async function loadCsv(path: string, options: CsvTableOptions): Promise<ParsedCsv> {
  return tableFromRaw(await loadRawCsv(path, options.columns, options.delimiter), options);
}
