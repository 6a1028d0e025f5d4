import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { HeflError } from '../../../common/errors/index.js';
import { readCsvRecords } from '../read-csv-records.js';
import type { OmopRow, OmopSource } from './omop-source.js';

/**
 * OMOP CDM tables exported as one CSV (or tab-separated) file per table with a header row,
 * named after the table in any case (`MEASUREMENT.csv`, `measurement.tsv`). Files are
 * streamed record by record (quoted fields may span lines), so a table of any size reads in
 * constant memory. A missing table file, a header without a needed column or a record with
 * the wrong field count is `invalid_data` naming file and line.
 */
export async function openOmopCsvFolder(dir: string): Promise<OmopSource> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new HeflError('invalid_argument', `cannot read OMOP folder ${basename(dir)}`, { cause });
  }
  const fileFor = (table: string) =>
    names.find((n) => n.toLowerCase() === `${table}.csv`) ??
    names.find((n) => n.toLowerCase() === `${table}.tsv`);
  return {
    name: basename(dir),
    async *rows(table, columns) {
      const file = fileFor(table);
      if (file === undefined) {
        throw new HeflError(
          'invalid_data',
          `${basename(dir)}: no file for OMOP table ${table.toUpperCase()} (${table}.csv)`,
        );
      }
      yield* readTableFile(join(dir, file), file, columns);
    },
    async close() {},
  };
}

async function* readTableFile(
  path: string,
  fileName: string,
  columns: readonly string[],
): AsyncGenerator<OmopRow> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let pending = '';
  let pendingStart = 0;
  let header: string[] | undefined;
  let delimiter = ',';
  let positions = new Map<string, number>();
  try {
    for await (const text of lines) {
      lineNo++;
      if (pending === '') pendingStart = lineNo;
      pending = pending === '' ? text : `${pending}\n${text}`;
      if (countQuotes(pending) % 2 === 1) continue; // a quoted field goes on
      const recordText = pending;
      pending = '';
      if (recordText.trim() === '') continue;
      if (header === undefined) {
        const first = recordText.replace(/^\uFEFF/, '');
        delimiter = first.includes('\t') && !first.includes(',') ? '\t' : ',';
        header = fieldsOf(first, fileName, pendingStart, delimiter).map((h) => h.trim().toLowerCase());
        positions = new Map(header.map((h, i) => [h, i]));
        const absent = columns.filter((c) => !positions.has(c) && !OPTIONAL.has(c));
        if (absent.length > 0)
          throw new HeflError(
            'invalid_data',
            `${fileName}:1: no column ${absent.map((c) => `'${c}'`).join(', ')}`,
          );
        continue;
      }
      const fields = fieldsOf(recordText, fileName, pendingStart, delimiter);
      if (fields.length !== header.length) {
        throw new HeflError(
          'invalid_data',
          `${fileName}:${pendingStart}: expected ${header.length} fields, found ${fields.length}`,
        );
      }
      const where = `${fileName}:${pendingStart}`;
      yield {
        where,
        get(column) {
          const i = positions.get(column);
          if (i === undefined) return undefined;
          const value = fields[i]!.trim();
          return value === '' ? undefined : value;
        },
      };
    }
    if (pending !== '')
      throw new HeflError('invalid_data', `${fileName}:${pendingStart}: unterminated quoted field`);
    if (header === undefined)
      throw new HeflError('invalid_data', `${fileName}: empty file, expected a header row`);
  } catch (cause) {
    if (cause instanceof HeflError) throw cause;
    throw new HeflError('invalid_argument', `cannot read ${fileName}`, { cause });
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Columns the CDM allows to be left out of an export (nullable, rarely exported). */
const OPTIONAL = new Set([
  'measurement_datetime',
  'observation_datetime',
  'condition_start_datetime',
  'visit_start_datetime',
  'birth_datetime',
  'month_of_birth',
  'day_of_birth',
  'value_as_concept_id',
  'value_as_string',
  'unit_concept_id',
]);

function fieldsOf(text: string, fileName: string, line: number, delimiter: string): string[] {
  try {
    for (const record of readCsvRecords(text, fileName, {
      delimiter,
      describeField: (i) => `field ${i + 1}`,
    })) {
      return record.fields;
    }
    return [];
  } catch (cause) {
    if (!(cause instanceof HeflError)) throw cause;
    // The parser counts lines from the record's start; name the line in the file instead.
    const prefix = `${fileName}:`;
    const rest = cause.message.startsWith(prefix) ? cause.message.slice(prefix.length) : cause.message;
    const shifted = rest.replace(/^(\d+):/, (_m, n: string) => `${line + Number(n) - 1}:`);
    throw new HeflError(cause.code, `${prefix}${shifted}`);
  }
}

function countQuotes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) n++;
  return n;
}
