import { HeflError } from '../../common/errors/index.js';
import { createLabelMapper } from './create-label-mapper.js';
import type { ColumnSpec, CsvTableOptions, MissingRule, ParsedCsv, SiteTable } from './csv-table.js';
import { parseNumberCell } from './parse-number-cell.js';
import { readCsvRecords } from './read-csv-records.js';
import { type CsvLayout, resolveCsvLayout } from './resolve-csv-layout.js';

const DEFAULT_MISSING_TOKENS = ['?', '', 'NA'];

/**
 * Parses CSV text into a `SiteTable` and applies the missing-value rule. `fileName` is only
 * used in messages. Throws `invalid_config` for options that do not fit the columns and
 * `invalid_data` for a malformed line or bad cell, naming file, 1-based line (the header is
 * line 1) and column, never the cell's text. Also throws when no row survives the rule.
 */
export function parseCsv(text: string, fileName: string, options: CsvTableOptions): ParsedCsv {
  const rule: MissingRule = options.missing ?? 'drop-row';
  if (rule !== 'drop-row' && rule !== 'impute-mean') {
    throw new HeflError('invalid_config', "missing must be 'drop-row' or 'impute-mean'");
  }
  const missingTokens = new Set(options.missingTokens ?? DEFAULT_MISSING_TOKENS);
  const mapLabel = createLabelMapper(options);

  let layout: CsvLayout | undefined =
    options.columns === undefined ? undefined : resolveCsvLayout(options.columns, fileName, options, false);
  const records = readCsvRecords(text, fileName, {
    delimiter: options.delimiter ?? ',',
    describeField: (i) => {
      const name = layout?.names[i];
      return name === undefined ? `field ${i + 1}` : `column '${name}'`;
    },
  });
  if (layout === undefined) {
    const header = records.next();
    if (header.done) throw new HeflError('invalid_data', `${fileName}: empty file, expected a header row`);
    layout = resolveCsvLayout(
      header.value.fields.map((f) => f.trim()),
      fileName,
      options,
      true,
    );
  }

  const { names, labelIndex, features } = layout;
  const labelName = names[labelIndex]!;
  const cells: string[][] = features.map(() => []);
  const lines: number[] = [];
  const rawLabels: number[] = [];
  for (const record of records) {
    if (record.fields.length !== names.length) {
      throw new HeflError(
        'invalid_data',
        `${fileName}:${record.line}: expected ${names.length} fields, found ${record.fields.length}`,
      );
    }
    const where = `${fileName}:${record.line}: column '${labelName}'`;
    const labelText = record.fields[labelIndex]!.trim();
    if (missingTokens.has(labelText)) throw new HeflError('invalid_data', `${where}: label missing`);
    rawLabels.push(mapLabel(labelText, where));
    features.forEach((feature, k) => {
      cells[k]!.push(record.fields[feature.index]!.trim());
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
      categoricalRaw.push(column);
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
