import { createSeededRandom } from '../../common/random/index.js';
import { UCI_HEART_COLUMNS } from '../../experiments/heart-disease/prepare-flamby-csv.js';

/** Columns FLamby keeps (slope, ca, thal dropped), label `num` last. */
export const KEPT_HEART_COLUMNS = UCI_HEART_COLUMNS.filter((c) => !['slope', 'ca', 'thal'].includes(c));

/** How one hospital writes its file, as the four UCI files are distributed. */
export interface UciStyle {
  readonly file: string;
  /** Cleveland writes every value as a float (`4.0`); the others write integers (`4`). */
  readonly floats: boolean;
  /** Share of rows with `?` in one of the kept columns (besides slope/ca/thal, always often `?`). */
  readonly missingShare: number;
}

export const UCI_STYLES: readonly UciStyle[] = [
  { file: 'processed.cleveland.data', floats: true, missingShare: 0 },
  { file: 'processed.hungarian.data', floats: false, missingShare: 0.1 },
  { file: 'processed.switzerland.data', floats: false, missingShare: 0.05 },
  { file: 'processed.va.data', floats: false, missingShare: 0.1 },
];

/**
 * Rows shaped like UCI's `processed.*.data` (14 headerless columns, `?` for missing), drawn
 * from a seeded generator with a learnable label. Returned as the file's text in that
 * hospital's style. Test data only: no real patient is in it.
 */
export function uciHeartFile(style: UciStyle, rows: number, seed: number): string {
  const random = createSeededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random.next() * (hi - lo + 1));
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cp = int(1, 4);
    const restecg = int(0, 2);
    const age = int(29, 77);
    const chol = int(120, 560);
    const thalach = int(70, 200);
    const risk = (cp === 4 ? 1.5 : -0.5) + (age - 53) / 10 - (thalach - 140) / 40 + (random.next() - 0.5) * 2;
    const values: (number | string)[] = [
      age,
      int(0, 1),
      cp,
      int(94, 200),
      chol,
      int(0, 1),
      restecg,
      thalach,
      int(0, 1),
      int(0, 40) / 10,
      int(1, 3),
      int(0, 3),
      [3, 6, 7][int(0, 2)]!,
      risk > 0 ? int(1, 4) : 0,
    ];
    if (!style.floats) for (const i of [10, 11, 12]) if (random.next() < 0.7) values[i] = '?';
    if (random.next() < style.missingShare) values[[3, 4, 5, 7][int(0, 3)]!] = '?';
    lines.push(
      values
        .map((v) =>
          typeof v === 'number' && style.floats
            ? Number.isInteger(v)
              ? v.toFixed(1)
              : String(v)
            : String(v),
        )
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The same records as a researcher's cleaned CSV: a header, only the kept columns, rows with
 * a missing kept value removed, every number in its shortest form (`4.0` -> `4`).
 */
export function cleanedHeartCsv(uciText: string): string {
  const keptIndex = KEPT_HEART_COLUMNS.map((c) => UCI_HEART_COLUMNS.indexOf(c));
  const out = [KEPT_HEART_COLUMNS.join(',')];
  for (const line of uciText.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    const kept = keptIndex.map((i) => fields[i]!);
    if (kept.some((v) => v === '?' || v === '')) continue;
    out.push(kept.map((v) => String(Number(v))).join(','));
  }
  return `${out.join('\n')}\n`;
}
