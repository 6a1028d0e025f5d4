import type { GlmCoefficient, GlmResult } from '../../common/protocol/sealed-glm-report.js';
import type { GlmFamilyName } from './glm-family.js';

export type { GlmCoefficient, GlmResult };

const Z975 = 1.959963984540054;

export function glmResult(input: {
  family: GlmFamilyName;
  names: readonly string[];
  beta: Float64Array;
  /** Inverse of the summed Hessian (unscaled covariance). */
  covariance: Float64Array;
  deviance: number;
  logLikelihood: number;
  n: number;
  iterations: number;
  converged: boolean;
  l2?: number;
}): GlmResult {
  const p = input.names.length;
  const { n, deviance } = input;
  const dispersion = input.family === 'gaussian' ? deviance / Math.max(1, n - p) : 1;
  const coefficients = input.names.map((feature, j) => {
    const estimate = input.beta[j]!;
    const standardError = Math.sqrt(input.covariance[j * p + j]! * dispersion);
    const z = estimate / standardError;
    return {
      feature,
      estimate,
      standardError,
      z,
      pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)),
      ciLow: estimate - Z975 * standardError,
      ciHigh: estimate + Z975 * standardError,
      ratio: input.family === 'gaussian' ? null : Math.exp(estimate),
    };
  });
  const aic =
    input.family === 'gaussian'
      ? n * Math.log((2 * Math.PI * deviance) / n) + n + 2 * (p + 1)
      : -2 * input.logLikelihood + 2 * p;
  return {
    family: input.family,
    coefficients,
    deviance,
    aic,
    n,
    iterations: input.iterations,
    converged: input.converged,
    dispersion,
    ...(input.l2 ? { l2: input.l2 } : {}),
  };
}

/** Complementary error function (Numerical Recipes erfcc; relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
