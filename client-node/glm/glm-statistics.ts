import { HeflError } from '../../common/errors/index.js';
import { glmVectorLength } from '../../common/fl/glm-layout.js';
import type { GlmFamily } from './glm-family.js';

/** A record is "fitted perfectly" when |y - mu| is below this (the separation signal). */
export const PERFECT_FIT = 1e-10;

/** One site's design: rows x p (row-major, intercept column included), labels. */
export interface GlmDesign {
  readonly rows: number;
  /** Columns, the first usually the intercept. */
  readonly names: readonly string[];
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** What a site sends each iteration (all additive over sites). */
export interface GlmStatistics {
  readonly n: number;
  readonly deviance: number;
  readonly logLikelihood: number;
  /** Records with |y - mu| < PERFECT_FIT. */
  readonly perfect: number;
  /** X'(y - mu), length p. */
  readonly gradient: Float64Array;
  /** X'WX, p x p, row-major, symmetric. */
  readonly hessian: Float64Array;
  /** Per-column sums and sums of squares (the constant-column check). */
  readonly columnSum: Float64Array;
  readonly columnSumSq: Float64Array;
}

export { glmVectorLength };

/** The statistics of one site's records at coefficients `beta`. */
export function computeGlmStatistics(
  design: GlmDesign,
  family: GlmFamily,
  beta: Float64Array,
): GlmStatistics {
  const p = design.names.length;
  if (beta.length !== p)
    throw new HeflError('invalid_argument', `GLM: ${beta.length} coefficients for ${p} columns`);
  if (design.x.length !== design.rows * p || design.y.length !== design.rows)
    throw new HeflError('invalid_argument', 'GLM: design matrix and labels disagree in size');
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const columnSum = new Float64Array(p);
  const columnSumSq = new Float64Array(p);
  let deviance = 0;
  let logLikelihood = 0;
  let perfect = 0;
  for (let r = 0; r < design.rows; r++) {
    const y = design.y[r]!;
    family.checkLabel(y, r);
    const base = r * p;
    let eta = 0;
    for (let j = 0; j < p; j++) {
      const v = design.x[base + j]!;
      if (!Number.isFinite(v))
        throw new HeflError('invalid_argument', `GLM: feature ${design.names[j]} of row ${r} is not finite`);
      eta += v * beta[j]!;
    }
    const mu = family.mean(eta);
    const w = family.variance(mu);
    deviance += family.deviance(y, mu);
    logLikelihood += family.logLikelihood(y, mu);
    if (Math.abs(y - mu) < PERFECT_FIT) perfect++;
    const residual = y - mu;
    for (let j = 0; j < p; j++) {
      const xj = design.x[base + j]!;
      gradient[j]! += xj * residual;
      columnSum[j]! += xj;
      columnSumSq[j]! += xj * xj;
      const wx = w * xj;
      for (let k = j; k < p; k++) hessian[j * p + k]! += wx * design.x[base + k]!;
    }
  }
  for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) hessian[k * p + j] = hessian[j * p + k]!;
  return { n: design.rows, deviance, logLikelihood, perfect, gradient, hessian, columnSum, columnSumSq };
}

/** Flattens statistics for encryption (upper triangle of the Hessian only). */
export function glmStatisticsVector(stats: GlmStatistics): Float64Array {
  const p = stats.gradient.length;
  const out = new Float64Array(glmVectorLength(p));
  out[0] = stats.n;
  out[1] = stats.deviance;
  out[2] = stats.logLikelihood;
  out[3] = stats.perfect;
  let at = 4;
  out.set(stats.gradient, at);
  at += p;
  for (let j = 0; j < p; j++) for (let k = j; k < p; k++) out[at++] = stats.hessian[j * p + k]!;
  out.set(stats.columnSum, at);
  out.set(stats.columnSumSq, at + p);
  return out;
}

export function glmStatisticsFromVector(vector: ArrayLike<number>, p: number): GlmStatistics {
  if (vector.length !== glmVectorLength(p))
    throw new HeflError(
      'integrity',
      `GLM statistics of length ${vector.length}, expected ${glmVectorLength(p)}`,
    );
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  let at = 4;
  for (let j = 0; j < p; j++) gradient[j] = vector[at++]!;
  for (let j = 0; j < p; j++)
    for (let k = j; k < p; k++) {
      const v = vector[at++]!;
      hessian[j * p + k] = v;
      hessian[k * p + j] = v;
    }
  const columnSum = Float64Array.from({ length: p }, (_, j) => vector[at + j]!);
  const columnSumSq = Float64Array.from({ length: p }, (_, j) => vector[at + p + j]!);
  return {
    n: vector[0]!,
    deviance: vector[1]!,
    logLikelihood: vector[2]!,
    perfect: vector[3]!,
    gradient,
    hessian,
    columnSum,
    columnSumSq,
  };
}
