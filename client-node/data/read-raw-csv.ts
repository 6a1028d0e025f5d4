import { HeflError } from '../../common/errors/index.js';
import type { RawRow, RawTable } from './raw-table.js';
import { readCsvRecords } from './read-csv-records.js';

export interface RawCsvOptions {
  /** Column names for a headerless file. When given, the first line is data, not a header. */
  readonly columns?: readonly string[] | undefined;
  /** Single-character field separator. Default ','. */
  readonly delimiter?: string | undefined;
}

/**
 * Splits CSV text into a `RawTable`: header (or the given names) and records, each checked
 * to have one field per column. Throws `invalid_data` naming file and line (never cell text)
 * for a malformed record or a file without a header row.
 */
export function readRawCsv(text: string, fileName: string, options: RawCsvOptions = {}): RawTable {
  let names: readonly string[] | undefined = options.columns;
  const records = readCsvRecords(text, fileName, {
    delimiter: options.delimiter ?? ',',
    describeField: (i) => {
      const name = names?.[i];
      return name === undefined ? `field ${i + 1}` : `column '${name}'`;
    },
  });
  const columnsFrom = names === undefined ? 'header' : 'option';
  if (names === undefined) {
    const header = records.next();
    if (header.done) throw new HeflError('invalid_data', `${fileName}: empty file, expected a header row`);
    names = header.value.fields.map((f) => f.trim());
  }
  const rows: RawRow[] = [];
  for (const record of records) {
    if (record.fields.length !== names.length) {
      throw new HeflError(
        'invalid_data',
        `${fileName}:${record.line}: expected ${names.length} fields, found ${record.fields.length}`,
      );
    }
    rows.push({ line: record.line, cells: record.fields });
  }
  return { source: fileName, columns: [...names], columnsFrom, rows };
}
