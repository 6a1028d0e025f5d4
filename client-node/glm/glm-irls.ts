import { HeflError } from '../../common/errors/index.js';
import { choleskyInverse } from './cholesky-inverse.js';
import { type GlmFamilyName, glmFamily } from './glm-family.js';
import { type GlmResult, glmResult } from './glm-result.js';
import {
  computeGlmStatistics,
  type GlmDesign,
  type GlmStatistics,
  glmStatisticsFromVector,
  glmStatisticsVector,
} from './glm-statistics.js';

export const INTERCEPT = '(Intercept)';

export interface GlmSettings {
  readonly family: GlmFamilyName;
  /** Iterations (= statistics rounds) before giving up; default 25. */
  readonly maxIterations?: number;
  /** Converged when |D_k - D_{k-1}| / (|D_k| + 0.1) < tolerance (R's glm rule); default 1e-10. */
  readonly tolerance?: number;
  /**
   * Ridge penalty: the fit minimises deviance/2 + l2/2 * sum of squared coefficients, the
   * intercept (the column named INTERCEPT) not penalised. Newton step on the penalised
   * gradient X'(y - mu) - l2*beta and Hessian X'WX + l2*I; convergence on the penalised
   * deviance; standard errors from (X'WX + l2*I)^-1. Default 0 (plain maximum likelihood).
   */
  readonly l2?: number;
}

/** A binomial fit whose deviance falls below this is fitting every record exactly: separation. */
const SEPARATED_DEVIANCE = 1e-6;

/**
 * Newton-Raphson (IRLS) on exact sums, held by every site. Each iteration a site computes
 * its statistics at the current coefficients ({@link localVector}); the decrypted sum over
 * sites goes to {@link applySum}, which takes the pooled Newton step. Every site decodes the
 * same integers, so every site holds bit-identical coefficients after each step. The
 * coefficients, standard errors and deviance equal a pooled IRLS on all records, up to the
 * fixed-point resolution of {@link GLM_ENCODING}. Failures (a constant column, a singular
 * Hessian, separation, no convergence) throw a HeflError naming the feature.
 */
export class GlmIrls {
  readonly names: readonly string[];
  private readonly family: GlmFamilyName;
  private readonly maxIterations: number;
  private readonly tolerance: number;
  private readonly l2: number;
  private beta: Float64Array;
  private previousDeviance = Number.NaN;
  private iterations = 0;
  private outcome: GlmResult | undefined;
  private spread: Float64Array | undefined;

  constructor(names: readonly string[], settings: GlmSettings) {
    this.names = [...names];
    this.family = settings.family;
    this.maxIterations = settings.maxIterations ?? 25;
    this.tolerance = settings.tolerance ?? 1e-10;
    this.l2 = settings.l2 ?? 0;
    if (!(this.l2 >= 0 && Number.isFinite(this.l2)))
      throw new HeflError('invalid_argument', 'GLM: l2 must be a finite number >= 0');
    this.beta = new Float64Array(names.length);
  }

  get coefficients(): Float64Array {
    return this.beta.slice();
  }

  /** The fitted table once converged; undefined while iterating. */
  get result(): GlmResult | undefined {
    return this.outcome;
  }

  /** This site's statistics at the current coefficients (plaintext; encrypt before it leaves). */
  localVector(design: GlmDesign): Float64Array {
    if (design.names.join('\u0000') !== this.names.join('\u0000'))
      throw new HeflError('invalid_argument', 'GLM: the site design has other columns than the job');
    return glmStatisticsVector(computeGlmStatistics(design, glmFamily(this.family), this.beta));
  }

  /** Applies the sum over all sites; returns the result once converged (later sums are refused). */
  applySum(vector: ArrayLike<number>): GlmResult | undefined {
    if (this.outcome) return this.outcome;
    const stats = this.penalise(glmStatisticsFromVector(vector, this.names.length));
    this.iterations++;
    if (this.iterations === 1) this.spread = this.checkColumns(stats);
    if (!Number.isFinite(stats.deviance))
      throw new HeflError('failed_precondition', 'GLM: the deviance is not finite');
    // Under a ridge penalty the estimate exists even when the classes are separated.
    const unpenalisedBinomial = this.family === 'binomial' && this.l2 === 0;
    if (unpenalisedBinomial && (stats.perfect === stats.n || stats.deviance < SEPARATED_DEVIANCE))
      throw this.separation('complete');
    const objective = stats.deviance + this.l2 * this.penaltyNorm();
    const previous = this.previousDeviance;
    this.previousDeviance = objective;
    const covariance = this.invertHessian(stats);
    if (
      Number.isFinite(previous) &&
      Math.abs(objective - previous) / (Math.abs(objective) + 0.1) < this.tolerance
    ) {
      this.outcome = glmResult({
        family: this.family,
        names: this.names,
        beta: this.beta,
        covariance,
        deviance: stats.deviance,
        logLikelihood: stats.logLikelihood,
        n: stats.n,
        iterations: this.iterations,
        converged: true,
        l2: this.l2,
      });
      return this.outcome;
    }
    if (this.iterations >= this.maxIterations) {
      if (unpenalisedBinomial && stats.perfect > 0) throw this.separation('quasi-complete');
      throw new HeflError('failed_precondition', `GLM: no convergence in ${this.maxIterations} iterations`);
    }
    const p = this.names.length;
    const next = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let step = 0;
      for (let j = 0; j < p; j++) step += covariance[i * p + j]! * stats.gradient[j]!;
      next[i] = this.beta[i]! + step;
    }
    this.beta = next;
    return undefined;
  }

  /** The summed statistics with the ridge term: gradient - l2*beta, Hessian + l2*I (intercept excluded). */
  private penalise(stats: GlmStatistics): GlmStatistics {
    if (this.l2 === 0) return stats;
    const p = this.names.length;
    const gradient = stats.gradient.slice();
    const hessian = stats.hessian.slice();
    this.names.forEach((name, j) => {
      if (name === INTERCEPT) return;
      gradient[j]! -= this.l2 * this.beta[j]!;
      hessian[j * p + j]! += this.l2;
    });
    return { ...stats, gradient, hessian };
  }

  /** Sum of the squared penalised coefficients (all but the intercept). */
  private penaltyNorm(): number {
    return this.names.reduce((a, name, j) => (name === INTERCEPT ? a : a + this.beta[j]! ** 2), 0);
  }

  /**
   * Under separation the weights mu(1 - mu) of the perfectly fitted records vanish and the
   * Hessian turns singular on the way: with records already fitted to 0/1 that is separation.
   */
  private invertHessian(stats: GlmStatistics): Float64Array {
    try {
      return choleskyInverse(stats.hessian, this.names);
    } catch (error) {
      if (this.family === 'binomial' && this.l2 === 0 && this.iterations > 1 && stats.perfect > 0)
        throw this.separation('complete or quasi-complete');
      throw error;
    }
  }

  /** A non-intercept column with no spread over all sites' records is refused by name. */
  private checkColumns(stats: GlmStatistics): Float64Array {
    const spread = new Float64Array(this.names.length);
    if (!(stats.n > this.names.length))
      throw new HeflError(
        'failed_precondition',
        `GLM: ${stats.n} records for ${this.names.length} coefficients`,
      );
    this.names.forEach((name, j) => {
      const mean = stats.columnSum[j]! / stats.n;
      const variance = Math.max(0, stats.columnSumSq[j]! / stats.n - mean * mean);
      spread[j] = Math.sqrt(variance);
      if (name !== INTERCEPT && variance <= 1e-12 * Math.max(1, mean * mean))
        throw new HeflError(
          'invalid_argument',
          `GLM: feature ${name} is constant over all sites' records; remove it`,
        );
    });
    return spread;
  }

  /** Names the feature with the largest standardised coefficient: the one driving the fit to 0/1. */
  private separation(kind: string): HeflError {
    let worst = -1;
    let at = 0;
    this.names.forEach((name, j) => {
      const size = name === INTERCEPT ? -1 : Math.abs(this.beta[j]!) * this.spread![j]!;
      if (size > worst) {
        worst = size;
        at = j;
      }
    });
    return new HeflError(
      'failed_precondition',
      `GLM: ${kind} separation: the fitted probabilities reach 0 or 1, driven by feature ${this.names[at]}; the maximum-likelihood estimate does not exist`,
    );
  }
}
