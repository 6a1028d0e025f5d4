import { HeflError } from '../../common/errors/index.js';
import type { ColumnKind, CsvTableOptions } from './csv-table.js';

/** Where the label and each kept feature column sit in a record. */
export interface CsvLayout {
  readonly names: readonly string[];
  readonly labelIndex: number;
  /** `kind` is set when the options fix it (explicit `categorical` list), else inferred later. */
  readonly features: readonly { name: string; index: number; kind: ColumnKind | undefined }[];
}

/**
 * Checks column names (from the header or `options.columns`) against the options and decides
 * which columns are features. Reports every problem at once: duplicate or empty names are
 * `invalid_data` when they come from the file, everything else is `invalid_config`.
 */
export function resolveCsvLayout(
  names: readonly string[],
  fileName: string,
  options: CsvTableOptions,
  fromHeader: boolean,
): CsvLayout {
  const nameProblems: string[] = [];
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') nameProblems.push(`field ${i + 1}: empty column name`);
    else if (seen.has(name)) nameProblems.push(`duplicate column name '${name}'`);
    seen.add(name);
  });
  if (nameProblems.length > 0) {
    const where = fromHeader ? `${fileName}:1` : `${fileName}: option 'columns'`;
    throw new HeflError(
      fromHeader ? 'invalid_data' : 'invalid_config',
      `${where}: ${nameProblems.join('; ')}`,
    );
  }

  const problems: string[] = [];
  const drop = new Set(options.drop ?? []);
  const categorical = options.categorical === undefined ? undefined : new Set(options.categorical);
  const unknown = (list: Iterable<string>, option: string) => {
    for (const name of list) if (!seen.has(name)) problems.push(`${option}: no column named '${name}'`);
  };
  if (!seen.has(options.label)) problems.push(`label: no column named '${options.label}'`);
  if (drop.has(options.label)) problems.push(`drop: the label column '${options.label}' cannot be dropped`);
  if (categorical?.has(options.label)) problems.push(`categorical: '${options.label}' is the label column`);
  unknown(drop, 'drop');
  unknown(categorical ?? [], 'categorical');
  for (const name of categorical ?? []) {
    if (drop.has(name)) problems.push(`categorical: '${name}' is also dropped`);
  }
  if (problems.length > 0) {
    throw new HeflError('invalid_config', `${fileName}: ${problems.join('; ')}`);
  }

  const features = names.flatMap((name, index) => {
    if (name === options.label || drop.has(name)) return [];
    const kind: ColumnKind | undefined =
      categorical === undefined ? undefined : categorical.has(name) ? 'categorical' : 'numeric';
    return [{ name, index, kind }];
  });
  return { names, labelIndex: names.indexOf(options.label), features };
}
