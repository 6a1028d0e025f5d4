import { HeflError } from '../../common/errors/index.js';
import type { SiteTable } from './csv-table.js';
import type { RawTable } from './raw-table.js';
import type { SplitIndices } from './stratified-split.js';

/**
 * Where a site's train/held-out split came from, recorded in its data report so a result can
 * be traced to the rows it was tested on: `seeded` = the job's stratified split (seeded by
 * the job seed), `column` = the researcher's fixed split in a column of the data, `file` = a
 * separate held-out file.
 */
export type SplitSource =
  | { readonly kind: 'seeded'; readonly testFraction: number; readonly seed: number }
  | { readonly kind: 'column'; readonly column: string }
  | { readonly kind: 'file'; readonly file: string };

/** The values a split column may hold (exact, after trimming). */
export const SPLIT_VALUES = Object.freeze(['train', 'test'] as const);

/** A raw table without its split column, and which input lines are held out. */
export interface SplitColumn {
  readonly raw: RawTable;
  /** Lines (`RawRow.line`) of the rows marked `test`. */
  readonly testLines: ReadonlySet<number>;
}

/**
 * Takes the split column out of a raw table, so it never becomes a feature. Every cell must
 * be `train` or `test`; otherwise `invalid_data` naming the column, how many rows are bad and
 * the first bad value with its line (a split value identifies no patient; no other cell is named).
 */
export function takeSplitColumn(raw: RawTable, column: string): SplitColumn {
  const at = raw.columns.indexOf(column);
  if (at < 0) throw new HeflError('invalid_data', `${raw.source}: no split column '${column}'`);
  const testLines = new Set<number>();
  let bad = 0;
  let first: { line: number; value: string } | undefined;
  for (const row of raw.rows) {
    const value = (row.cells[at] ?? '').trim();
    if (value === 'test') testLines.add(row.line);
    else if (value !== 'train') {
      bad++;
      first ??= { line: row.line, value };
    }
  }
  if (first) {
    throw new HeflError(
      'invalid_data',
      `${raw.source}: split column '${column}': ${bad} of ${raw.rows.length} rows hold neither train nor test (first: line ${first.line}, value '${first.value}')`,
    );
  }
  return {
    raw: {
      ...raw,
      columns: raw.columns.filter((_, i) => i !== at),
      rows: raw.rows.map((row) => ({ line: row.line, cells: row.cells.filter((_, i) => i !== at) })),
    },
    testLines,
  };
}

/**
 * The split of a parsed table whose rows carry their input lines: rows on a `test` line are
 * held out, all others train. Throws `failed_precondition` when either side is too small.
 */
export function splitByLines(table: SiteTable, testLines: ReadonlySet<number>, column: string): SplitIndices {
  if (!table.lines) throw new HeflError('internal', 'split column: the table lost its line numbers');
  const train: number[] = [];
  const test: number[] = [];
  table.lines.forEach((line, row) => {
    (testLines.has(line) ? test : train).push(row);
  });
  if (train.length < 2 || test.length < 1) {
    const detail = `split column '${column}' leaves ${train.length} train and ${test.length} test rows; at least 2 and 1 needed`;
    throw new HeflError('failed_precondition', `${table.fileName}: ${detail}`, { publicDetail: detail });
  }
  return { train: Uint32Array.from(train), test: Uint32Array.from(test) };
}
