/**
 * Synthetic rows shaped like the UCI heart-disease files (never real patients): the columns
 * FLamby keeps, integers where UCI has integers, `undefined` for a missing cell. Seeded, so
 * every input format is generated from the same rows.
 */
export interface HeartRow {
  readonly age: number;
  readonly sex: 0 | 1;
  /** 1 typical angina, 2 atypical angina, 3 non-anginal pain, 4 asymptomatic. */
  readonly cp: 1 | 2 | 3 | 4;
  readonly trestbps: number;
  readonly chol: number | undefined;
  readonly fbs: 0 | 1;
  /** 0 normal, 1 ST-T wave abnormality, 2 left ventricular hypertrophy. */
  readonly restecg: 0 | 1 | 2;
  readonly thalach: number;
  readonly exang: 0 | 1;
  readonly oldpeak: number;
  /** 0 no disease, 1-4 disease. */
  readonly num: number;
}

export const HEART_COLUMNS = [
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
  'num',
] as const;

/** `rows` synthetic patients of one hospital; `seed` picks the hospital. */
export function heartRows(rows: number, seed: number): HeartRow[] {
  let state = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return Array.from({ length: rows }, () => {
    const cp = int(1, 4) as HeartRow['cp'];
    const exang = (next() < (cp === 4 ? 0.6 : 0.2) ? 1 : 0) as 0 | 1;
    const risk = (cp === 4 ? 0.5 : 0) + exang * 0.3 + next() * 0.5;
    return {
      age: int(29, 77),
      sex: (next() < 0.7 ? 1 : 0) as 0 | 1,
      cp,
      trestbps: int(94, 200),
      chol: next() < 0.1 ? undefined : int(126, 564),
      fbs: (next() < 0.15 ? 1 : 0) as 0 | 1,
      restecg: int(0, 2) as HeartRow['restecg'],
      thalach: int(71, 202),
      exang,
      oldpeak: Math.round(next() * 62) / 10,
      num: risk > 0.6 ? int(1, 4) : 0,
    };
  });
}

/** The rows as a CSV with a header, `?` for a missing cell (as in the UCI files). */
export function heartCsv(rows: readonly HeartRow[]): string {
  const lines = rows.map((r) =>
    HEART_COLUMNS.map((c) => (r[c] === undefined ? '?' : String(r[c]))).join(','),
  );
  return `${[HEART_COLUMNS.join(','), ...lines].join('\n')}\n`;
}
