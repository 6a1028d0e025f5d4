import type { LimbEncodingOptions } from './limb-encoding.js';

/**
 * Fixed point for GLM sums: 40 fractional bits (resolution 2^-40 ~ 9.1e-13) in four
 * 24-bit limbs, so |value| up to 2^56 ~ 7.2e16 per site. Each site rounds every sum once
 * (error <= 2^-41, or the float's own ulp above 2^13); the encrypted limb sums are exact
 * integers, so every site decodes bit-identical totals and takes the same Newton step.
 * The pooled gradient is thus known to ~sites x 2^-41 absolute, which moves the
 * coefficients by |H^-1| x that: far below 1e-6 relative for any n above a handful
 * (the 16 fractional bits of the round-0 statistics are not enough: the test shows it).
 */
export const GLM_ENCODING: LimbEncodingOptions = Object.freeze({ fractionalBits: 40, limbs: 4 });

/** The section name of one IRLS iteration's statistics in an upload and in the aggregate. */
export const GLM_SECTION = 'glm';

/**
 * Values per site and iteration for p coefficients: n, deviance, log-likelihood, perfectly
 * fitted records, gradient (p), Hessian upper triangle (p(p+1)/2), column sums and sums of
 * squares (2p). Limb-encoded, the section carries `GLM_ENCODING.limbs` times as many.
 */
export function glmVectorLength(p: number): number {
  return 4 + p + (p * (p + 1)) / 2 + 2 * p;
}
