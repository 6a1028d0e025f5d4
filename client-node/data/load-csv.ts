import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { HeflError } from '../../common/errors/index.js';
import type { CsvTableOptions, ParsedCsv } from './csv-table.js';
import { parseCsv } from './parse-csv.js';

/**
 * Reads a site's CSV file (UTF-8) and parses it with `parseCsv`; messages name the file by its
 * base name. An unreadable file is `invalid_argument` with the I/O error as `cause`.
 */
export async function loadCsv(path: string, options: CsvTableOptions): Promise<ParsedCsv> {
  const fileName = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new HeflError('invalid_argument', `cannot read ${fileName}`, { cause });
  }
  return parseCsv(text, fileName, options);
}
