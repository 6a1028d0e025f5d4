import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { HeflError } from '../../common/errors/index.js';
import type { RawTable } from './raw-table.js';
import { readRawCsv } from './read-raw-csv.js';

/**
 * Reads a site's CSV file (UTF-8) into a `RawTable`; messages name the file by its base name.
 * An unreadable file is `invalid_argument` with the I/O error as `cause`.
 */
export async function loadRawCsv(
  path: string,
  columns?: readonly string[],
  delimiter?: string,
): Promise<RawTable> {
  const fileName = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new HeflError('invalid_argument', `cannot read ${fileName}`, { cause });
  }
  return readRawCsv(text, fileName, { columns, delimiter });
}
