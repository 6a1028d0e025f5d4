import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeflError } from '../../common/errors/index.js';
import { FLAMBY_HEART_CENTERS, UCI_HEART_COLUMNS } from './prepare-flamby-csv.js';

/**
 * FLamby's feature encoding, column for column: the 8 numeric columns kept, then
 * `pd.get_dummies(columns=[cp, restecg], drop_first=True)` over the pooled data, i.e. cp 2, 3, 4
 * (cp 1 dropped) and restecg 1, 2 (restecg 0 dropped) as 0/1 numbers: 13 features.
 */
export const FLAMBY_BENCHMARK_FEATURES = Object.freeze([
  'age',
  'sex',
  'trestbps',
  'chol',
  'fbs',
  'thalach',
  'exang',
  'oldpeak',
  'cp_2',
  'cp_3',
  'cp_4',
  'restecg_1',
  'restecg_2',
] as const);
export const FLAMBY_SPLIT_COLUMN = 'split';
const DUMMIES: Readonly<Record<string, readonly number[]>> = { cp: [2, 3, 4], restecg: [1, 2] };
const DROPPED = new Set(['slope', 'ca', 'thal']);

/** What the split script printed for one center (see flamby-split.py). */
interface CenterSplit {
  readonly rows: number;
  readonly stratified: boolean;
  readonly test: readonly number[];
}

export interface PreparedBenchmarkCenter {
  readonly center: string;
  readonly file: string;
  readonly rows: number;
  readonly testRows: number;
  readonly stratified: boolean;
}

/**
 * Writes one CSV per center in FLamby's encoding with FLamby's own fixed split in a `split`
 * column (train/test), for the site's `--split-column split`. The split comes from
 * `flamby-split.py` run by `python` (it needs sklearn: Debian's python3-sklearn), so it is
 * sklearn's `train_test_split(random_state=43, stratify=...)`, not a re-implementation.
 * Throws `invalid_argument` when the script fails and `invalid_data` when its row counts
 * disagree with the rows kept here.
 */
export async function prepareFlambyBenchmarkCsvs(
  srcDir: string,
  outDir: string,
  python: string,
): Promise<PreparedBenchmarkCenter[]> {
  const script = join(import.meta.dirname, 'flamby-split.py');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(python, [script, srcDir]));
  } catch (cause) {
    throw new HeflError('invalid_argument', `${python} flamby-split.py failed (needs python3-sklearn)`, {
      cause,
    });
  }
  const splits = JSON.parse(stdout) as Record<string, CenterSplit>;
  await mkdir(outDir, { recursive: true });
  const prepared: PreparedBenchmarkCenter[] = [];
  for (const { center, source, output } of FLAMBY_HEART_CENTERS) {
    const split = splits[source.split('.')[1]!];
    const rows = keptRows(await readFile(join(srcDir, source), 'utf8'));
    if (!split || split.rows !== rows.length) {
      throw new HeflError(
        'invalid_data',
        `${source}: the split script saw ${split?.rows} rows, hefl ${rows.length}`,
      );
    }
    const test = new Set(split.test);
    const lines = [[...FLAMBY_BENCHMARK_FEATURES, 'num', FLAMBY_SPLIT_COLUMN].join(',')];
    rows.forEach((row, i) => {
      lines.push([...encode(row), row.num, test.has(i) ? 'test' : 'train'].join(','));
    });
    const file = join(outDir, output);
    await writeFile(file, `${lines.join('\n')}\n`);
    prepared.push({ center, file, rows: rows.length, testRows: test.size, stratified: split.stratified });
  }
  return prepared;
}

/** FLamby's rows: columns slope, ca, thal dropped, then every row with a missing value. */
function keptRows(text: string): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    const row: Record<string, string> = {};
    UCI_HEART_COLUMNS.forEach((name, i) => {
      if (!DROPPED.has(name)) row[name] = fields[i] ?? '';
    });
    if (Object.values(row).some((v) => v === '?' || v === '')) continue;
    rows.push(row);
  }
  return rows;
}

function encode(row: Record<string, string>): number[] {
  return FLAMBY_BENCHMARK_FEATURES.map((name) => {
    const [column, level] = name.split('_');
    if (level === undefined) return Number(row[name]);
    if (!DUMMIES[column!]!.includes(Number(level))) throw new HeflError('internal', `no dummy ${name}`);
    return Number(row[column!]) === Number(level) ? 1 : 0;
  });
}
