import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeflError } from '../../common/errors/index.js';

/** The 14 columns of UCI's headerless `processed.*.data` files, in file order. */
export const UCI_HEART_COLUMNS = Object.freeze([
  'age',
  'sex',
  'cp',
  'trestbps',
  'chol',
  'fbs',
  'restecg',
  'thalach',
  'exang',
  'oldpeak',
  'slope',
  'ca',
  'thal',
  'num',
] as const);

/** Columns FLamby drops before anything else (mostly missing outside Cleveland). */
const DROPPED = new Set(['slope', 'ca', 'thal']);
const KEPT = UCI_HEART_COLUMNS.filter((name) => !DROPPED.has(name));

/** Label column of the written CSVs; `num > 0` is positive (the loader's default label rule). */
export const FLAMBY_HEART_LABEL = 'num';
/**
 * Columns the caller must pass as `categorical` to `loadCsv` (FLamby one-hot encodes them).
 * They are written as names, so inference would also treat them as categorical, but passing
 * the list makes every other column strictly numeric.
 */
export const FLAMBY_HEART_CATEGORICAL = Object.freeze(['cp', 'restecg'] as const);

/** FLamby's centers 0..3, with the UCI source file and the CSV written for each. */
export const FLAMBY_HEART_CENTERS = Object.freeze([
  { center: 'cleveland', source: 'processed.cleveland.data', output: 'cleveland.csv' },
  { center: 'hungary', source: 'processed.hungarian.data', output: 'hungary.csv' },
  { center: 'switzerland', source: 'processed.switzerland.data', output: 'switzerland.csv' },
  { center: 'va', source: 'processed.va.data', output: 'va.csv' },
] as const);

const CATEGORY_NAMES: Readonly<Record<string, readonly string[]>> = {
  cp: ['', 'typical-angina', 'atypical-angina', 'non-anginal', 'asymptomatic'],
  restecg: ['normal', 'st-t-abnormality', 'lv-hypertrophy'],
};

/** What was done to one center, for the caller to print. */
export interface PreparedCenter {
  readonly center: string;
  /** Path of the CSV written. */
  readonly file: string;
  readonly rowsRead: number;
  /** Rows without a missing value in the kept columns (FLamby: 303, 261, 46, 130). */
  readonly rowsWritten: number;
}

/**
 * Turns UCI's four processed files into one CSV per center with a header, following FLamby's
 * preprocessing: drop `slope`, `ca`, `thal`; drop rows with any remaining `?`; keep `num` as
 * the label. `cp` and `restecg` codes are written as names (e.g. `asymptomatic`) so they cannot
 * be mistaken for numbers. Throws `invalid_argument` when a source file cannot be read and
 * `invalid_data` naming file, line and column for a malformed line or unknown code.
 */
export async function prepareFlambyCsvs(srcDir: string, outDir: string): Promise<PreparedCenter[]> {
  await mkdir(outDir, { recursive: true });
  const prepared: PreparedCenter[] = [];
  for (const { center, source, output } of FLAMBY_HEART_CENTERS) {
    let text: string;
    try {
      text = await readFile(join(srcDir, source), 'utf8');
    } catch (cause) {
      throw new HeflError('invalid_argument', `cannot read ${source}`, { cause });
    }
    const { csv, rowsRead, rowsWritten } = convertCenter(text, source);
    const file = join(outDir, output);
    await writeFile(file, csv);
    prepared.push({ center, file, rowsRead, rowsWritten });
  }
  return prepared;
}

function convertCenter(text: string, source: string): { csv: string; rowsRead: number; rowsWritten: number } {
  const out = [KEPT.join(',')];
  let rowsRead = 0;
  text.split(/\r?\n/).forEach((rawLine, index) => {
    if (rawLine.trim() === '') return;
    rowsRead++;
    const line = index + 1;
    const fields = rawLine.split(',').map((f) => f.trim());
    if (fields.length !== UCI_HEART_COLUMNS.length) {
      throw new HeflError(
        'invalid_data',
        `${source}:${line}: expected ${UCI_HEART_COLUMNS.length} fields, found ${fields.length}`,
      );
    }
    const kept = UCI_HEART_COLUMNS.flatMap((name, i) => (DROPPED.has(name) ? [] : [fields[i]!]));
    if (kept.some((value) => value === '?' || value === '')) return;
    out.push(kept.map((value, i) => categoryName(KEPT[i]!, value, source, line)).join(','));
  });
  return { csv: `${out.join('\n')}\n`, rowsRead, rowsWritten: out.length - 1 };
}

function categoryName(column: string, value: string, source: string, line: number): string {
  const names = CATEGORY_NAMES[column];
  if (names === undefined) return value;
  const code = Number(value);
  const name = Number.isInteger(code) ? names[code] : undefined;
  if (name === undefined || name === '') {
    throw new HeflError('invalid_data', `${source}:${line}: column '${column}': unknown category code`);
  }
  return name;
}
