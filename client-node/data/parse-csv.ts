import { HeflError } from '../../common/errors/index.js';
import { createLabelMapper } from './create-label-mapper.js';
import type { ColumnSpec, CsvTableOptions, MissingRule, ParsedCsv, SiteTable } from './csv-table.js';
import { normaliseCode } from './normalise-code.js';
import { parseNumberCell } from './parse-number-cell.js';
import type { RawTable } from './raw-table.js';
import { readRawCsv } from './read-raw-csv.js';
import { resolveCsvLayout } from './resolve-csv-layout.js';

const DEFAULT_MISSING_TOKENS = ['?', '', 'NA'];

/**
 * Types a raw table into a `SiteTable`: picks the label and feature columns, applies the
 * missing-value rule and normalises category codes (`options.normalise`, default: numeric
 * codes as numbers, trimmed, case kept). Throws `invalid_config` for options that do not fit
 * the columns and `invalid_data` for a bad cell, naming source, line and column, never the
 * cell's text. Also throws when no row survives the rule.
 */
export function tableFromRaw(raw: RawTable, options: CsvTableOptions): ParsedCsv {
  const fileName = raw.source;
  const rule: MissingRule = options.missing ?? 'drop-row';
  if (rule !== 'drop-row' && rule !== 'impute-mean') {
    throw new HeflError('invalid_config', "missing must be 'drop-row' or 'impute-mean'");
  }
  const missingTokens = new Set(options.missingTokens ?? DEFAULT_MISSING_TOKENS);
  const mapLabel = createLabelMapper(options);
  const layout = resolveCsvLayout(raw.columns, fileName, options, raw.columnsFrom === 'header');

  const { names, labelIndex, features } = layout;
  const labelName = names[labelIndex]!;
  const cells: string[][] = features.map(() => []);
  const lines: number[] = [];
  const rawLabels: number[] = [];
  const labelValues: number[] = [];
  for (const record of raw.rows) {
    const fields = record.cells;
    const where = `${fileName}:${record.line}: column '${labelName}'`;
    const labelText = fields[labelIndex]!.trim();
    if (missingTokens.has(labelText)) throw new HeflError('invalid_data', `${where}: label missing`);
    rawLabels.push(mapLabel(labelText, where));
    labelValues.push(parseNumberCell(labelText) ?? Number.NaN);
    features.forEach((feature, k) => {
      cells[k]!.push(fields[feature.index]!.trim());
    });
    lines.push(record.line);
  }

  const rowsRead = lines.length;
  const rowMissing = new Uint8Array(rowsRead);
  const missingByColumn: Record<string, number> = {};
  const featureColumns: ColumnSpec[] = [];
  const numericRaw: Float64Array[] = [];
  const categoricalRaw: string[][] = [];
  features.forEach((feature, k) => {
    const column = cells[k]!;
    let missing = 0;
    column.forEach((cell, r) => {
      if (missingTokens.has(cell)) {
        missing++;
        rowMissing[r] = 1;
      }
    });
    missingByColumn[feature.name] = missing;
    const kind =
      feature.kind ??
      (column.every((cell) => missingTokens.has(cell) || parseNumberCell(cell) !== undefined)
        ? 'numeric'
        : 'categorical');
    featureColumns.push({ name: feature.name, kind });
    if (kind === 'categorical') {
      categoricalRaw.push(
        column.map((cell) => (missingTokens.has(cell) ? cell : normaliseCode(cell, options.normalise))),
      );
      return;
    }
    numericRaw.push(
      Float64Array.from(column, (cell, r) => {
        if (missingTokens.has(cell)) return Number.NaN;
        const value = parseNumberCell(cell);
        if (value === undefined) {
          throw new HeflError(
            'invalid_data',
            `${fileName}:${lines[r]}: column '${feature.name}': not a number`,
          );
        }
        return value;
      }),
    );
  });

  const kept: number[] = [];
  for (let r = 0; r < rowsRead; r++) if (rule === 'impute-mean' || rowMissing[r] === 0) kept.push(r);
  if (kept.length === 0) {
    throw new HeflError(
      'invalid_data',
      `${fileName}: no rows left after the '${rule}' rule (${rowsRead} read)`,
    );
  }

  const numericCols = featureColumns.filter((c) => c.kind === 'numeric');
  const categoricalCols = featureColumns.filter((c) => c.kind === 'categorical');
  const numeric: Record<string, Float64Array> = {};
  numericCols.forEach((spec, k) => {
    const values = numericRaw[k]!;
    const fill = rule === 'impute-mean' ? columnMean(values, fileName, spec.name) : Number.NaN;
    numeric[spec.name] = Float64Array.from(kept, (r) => (Number.isNaN(values[r]!) ? fill : values[r]!));
  });
  const categorical: Record<string, readonly string[]> = {};
  categoricalCols.forEach((spec, k) => {
    const values = categoricalRaw[k]!;
    const fill = rule === 'impute-mean' ? columnMode(values, missingTokens, fileName, spec.name) : '';
    categorical[spec.name] = Object.freeze(
      kept.map((r) => (missingTokens.has(values[r]!) ? fill : values[r]!)),
    );
  });

  const table: SiteTable = Object.freeze({
    fileName,
    featureColumns: Object.freeze(featureColumns.map((c) => Object.freeze(c))),
    labelColumn: labelName,
    rows: kept.length,
    numeric: Object.freeze(numeric),
    categorical: Object.freeze(categorical),
    labels: Uint8Array.from(kept, (r) => rawLabels[r]!),
    labelValues: Float64Array.from(kept, (r) => labelValues[r]!),
    lines: Object.freeze(kept.map((r) => lines[r]!)),
  });
  const report = Object.freeze({
    rowsRead,
    rowsKept: kept.length,
    rowsDropped: rowsRead - kept.length,
    missingByColumn: Object.freeze(missingByColumn),
    rule,
  });
  return { table, report };
}

/**
 * Parses CSV text into a `SiteTable` (`readRawCsv`, then `tableFromRaw`). `fileName` is only
 * used in messages; the header is line 1.
 */
export function parseCsv(text: string, fileName: string, options: CsvTableOptions): ParsedCsv {
  return tableFromRaw(readRawCsv(text, fileName, options), options);
}

function columnMean(values: Float64Array, fileName: string, name: string): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  if (count === 0)
    throw new HeflError('invalid_data', `${fileName}: column '${name}': no values to impute from`);
  return sum / count;
}

function columnMode(
  values: readonly string[],
  missing: ReadonlySet<string>,
  fileName: string,
  name: string,
): string {
  const counts = new Map<string, number>();
  for (const v of values) if (!missing.has(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && value < best)) {
      best = value;
      bestCount = count;
    }
  }
  if (best === undefined)
    throw new HeflError('invalid_data', `${fileName}: column '${name}': no values to impute from`);
  return best;
}
