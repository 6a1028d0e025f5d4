import { HeflError } from '../../common/errors/index.js';
import { createSeededRandom, type RandomSource } from '../../common/random/index.js';

/** Header of every synthetic site CSV, label last. */
export const SYNTHETIC_COLUMNS = Object.freeze([
  'age',
  'sex',
  'resting_bp',
  'cholesterol',
  'max_hr',
  'bmi',
  'smoker',
  'diabetes',
  'chest_pain',
  'ecg',
  'event',
] as const);
/** 1 = cardiac event; draw from a logistic model of the features. */
export const SYNTHETIC_LABEL = 'event';
/** Pass as `categorical` to `parseCsv` (inference would also find them). */
export const SYNTHETIC_CATEGORICAL = Object.freeze(['chest_pain', 'ecg'] as const);

const CHEST_PAIN = ['typical', 'atypical', 'non-anginal', 'asymptomatic'] as const;
const ECG = ['normal', 'st-t-abnormality', 'lv-hypertrophy'] as const;
const CHEST_PAIN_WEIGHT = [-0.9, -1.1, -0.6, 1.4];
const ECG_WEIGHT = [0, 0.6, 0.4];
/** Sharpens the logistic model so a pooled logistic regression lands near 0.80 accuracy. */
const RISK_SCALE = 1.3;

export interface SyntheticHospitalsOptions {
  /** Number of hospitals, 1..100. */
  readonly sites: number;
  readonly seed: number;
  /** Rows per site (one number for all, or one per site); default drawn in 150..450. */
  readonly rowsPerSite?: number | readonly number[];
}

/** One hospital's CSV (header row, `NA` for a few missing cells) and what was drawn. */
export interface SyntheticSite {
  readonly name: string;
  readonly csv: string;
  readonly rows: number;
  /** Fraction of rows with event = 1 (targeted in 0.25..0.60). */
  readonly positiveRate: number;
}

interface SiteProfile {
  readonly ageMean: number;
  readonly ageSd: number;
  readonly maleRate: number;
  readonly smokerRate: number;
  readonly diabetesRate: number;
  readonly bpShift: number;
  readonly chestPain: number[];
  readonly ecg: number[];
  readonly targetRate: number;
}

/**
 * A built-in, entirely synthetic multi-hospital cardiology dataset for demos and tests (no real
 * patient). Deterministic for a seed; site i's data depends only on the seed and its size.
 * Sites differ in size, age mix, sex ratio, risk factors, symptom mix and event rate (non-IID),
 * and the label follows one logistic model plus a site-specific baseline, so a logistic
 * regression reaches about 0.75-0.85 accuracy. 2-5 cells per site are `NA`.
 */
export function generateSyntheticHospitals(options: SyntheticHospitalsOptions): SyntheticSite[] {
  const { sites, seed, rowsPerSite } = options;
  if (!Number.isInteger(sites) || sites < 1 || sites > 100) {
    throw new HeflError('invalid_argument', 'sites must be an integer in [1, 100]');
  }
  if (Array.isArray(rowsPerSite) && rowsPerSite.length !== sites) {
    throw new HeflError('invalid_argument', 'rowsPerSite must have one entry per site');
  }
  const master = createSeededRandom(seed);
  const result: SyntheticSite[] = [];
  for (let i = 0; i < sites; i++) {
    const random = createSeededRandom(master.nextInt(2 ** 32));
    const drawnRows = 150 + random.nextInt(301);
    const rows = typeof rowsPerSite === 'number' ? rowsPerSite : (rowsPerSite?.[i] ?? drawnRows);
    if (!Number.isInteger(rows) || rows < 10 || rows > 1_000_000) {
      throw new HeflError('invalid_argument', 'rowsPerSite must be an integer in [10, 1000000]');
    }
    result.push(generateSite(`site-${i + 1}`, rows, drawProfile(random), random));
  }
  return result;
}

function drawProfile(random: RandomSource): SiteProfile {
  const perturb = (base: number[]) => normalise(base.map((w) => w * Math.exp(0.5 * random.normal())));
  return {
    ageMean: 48 + 18 * random.next(),
    ageSd: 7 + 4 * random.next(),
    maleRate: 0.45 + 0.3 * random.next(),
    smokerRate: 0.12 + 0.25 * random.next(),
    diabetesRate: 0.06 + 0.18 * random.next(),
    bpShift: -5 + 13 * random.next(),
    chestPain: perturb([0.08, 0.17, 0.28, 0.47]),
    ecg: perturb([0.55, 0.15, 0.3]),
    targetRate: 0.27 + 0.31 * random.next(),
  };
}

function generateSite(name: string, rows: number, p: SiteProfile, random: RandomSource): SyntheticSite {
  const n = (mean: number, sd: number) => mean + sd * random.normal();
  const bernoulli = (rate: number) => (random.next() < rate ? 1 : 0);
  const cells: (string | number)[][] = [];
  const risk: number[] = [];
  for (let r = 0; r < rows; r++) {
    const age = clamp(Math.round(n(p.ageMean, p.ageSd)), 29, 88);
    const sex = bernoulli(p.maleRate);
    const diabetes = bernoulli(clamp(p.diabetesRate + 0.005 * (age - 55), 0.01, 0.6));
    const smoker = bernoulli(p.smokerRate + 0.08 * sex);
    const bp = clamp(Math.round(n(122 + 0.45 * (age - 55) + p.bpShift, 15)), 90, 200);
    const chol = clamp(Math.round(n(222 + 0.6 * (age - 55) + 8 * (1 - sex), 40)), 120, 450);
    const maxHr = clamp(Math.round(n(208 - 0.75 * age, 17)), 70, 205);
    const bmi = clamp(Math.round(n(26.8 + 2 * diabetes, 4.3) * 10) / 10, 16, 50);
    const cp = pick(p.chestPain, random);
    const ecg = pick(p.ecg, random);
    risk.push(
      RISK_SCALE *
        (0.055 * (age - 55) +
          0.75 * sex +
          0.02 * (bp - 130) +
          0.009 * (chol - 225) -
          0.04 * (maxHr - 150) +
          0.06 * (bmi - 27) +
          0.6 * smoker +
          0.8 * diabetes +
          CHEST_PAIN_WEIGHT[cp]! +
          ECG_WEIGHT[ecg]!),
    );
    cells.push([age, sex, bp, chol, maxHr, bmi.toFixed(1), smoker, diabetes, CHEST_PAIN[cp]!, ECG[ecg]!]);
  }
  const intercept = calibrateIntercept(risk, p.targetRate);
  let positives = 0;
  cells.forEach((row, r) => {
    const event = bernoulli(sigmoid(intercept + risk[r]!));
    positives += event;
    row.push(event);
  });
  const missingCount = 2 + random.nextInt(4);
  const missingColumns = [2, 3, 5];
  for (let k = 0; k < missingCount; k++) {
    cells[random.nextInt(rows)]![missingColumns[random.nextInt(missingColumns.length)]!] = 'NA';
  }
  const lines = [SYNTHETIC_COLUMNS.join(','), ...cells.map((row) => row.join(','))];
  return { name, csv: `${lines.join('\n')}\n`, rows, positiveRate: positives / rows };
}

/** Finds b so that the mean of sigmoid(b + risk) equals the target rate (bisection). */
function calibrateIntercept(risk: readonly number[], target: number): number {
  let low = -20;
  let high = 20;
  for (let iteration = 0; iteration < 60; iteration++) {
    const mid = (low + high) / 2;
    const rate = risk.reduce((s, v) => s + sigmoid(mid + v), 0) / risk.length;
    if (rate < target) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

function pick(weights: readonly number[], random: RandomSource): number {
  let u = random.next();
  for (let i = 0; i < weights.length - 1; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

function normalise(weights: number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / total);
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
