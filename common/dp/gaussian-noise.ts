import { HeflError } from '../errors/index.js';
import type { NoiseSource } from './noise-source.js';

/** Result of bounding one update's L2 norm (its DP sensitivity). */
export interface ClipResult {
  /** A new array; the input is not modified. */
  readonly clipped: Float32Array;
  /** L2 norm of the input before clipping (float64 accumulation). */
  readonly norm: number;
  /** Factor every element was multiplied by: min(1, maxNorm / norm). */
  readonly scaleApplied: number;
}

function checkFinite(v: Float32Array, what: string): void {
  for (let i = 0; i < v.length; i += 1) {
    if (!Number.isFinite(v[i]!))
      throw new HeflError('invalid_data', `${what}: non-finite value at index ${i}`);
  }
}

/**
 * Scales `v` down so its L2 norm is at most `maxNorm` (same units as the update). The
 * float32 result can exceed maxNorm by float32 rounding (~1e-7 relative); callers that need
 * a hard bound can pass maxNorm * (1 - 1e-6).
 */
export function clipL2(v: Float32Array, maxNorm: number): ClipResult {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new HeflError('invalid_argument', `clip norm must be finite and > 0, got ${maxNorm}`);
  }
  checkFinite(v, 'clipL2');
  let sumOfSquares = 0;
  for (let i = 0; i < v.length; i += 1) sumOfSquares += v[i]! * v[i]!;
  const norm = Math.sqrt(sumOfSquares);
  const scaleApplied = norm > maxNorm ? maxNorm / norm : 1;
  const clipped = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += 1) clipped[i] = v[i]! * scaleApplied;
  return { clipped, norm, scaleApplied };
}

/** Returns `v + N(0, stddev^2)` elementwise as a new array; `stddev` in the units of `v`. */
export function addGaussianNoise(v: Float32Array, stddev: number, random: NoiseSource): Float32Array {
  if (!(stddev >= 0) || !Number.isFinite(stddev)) {
    throw new HeflError('invalid_argument', `noise stddev must be finite and >= 0, got ${stddev}`);
  }
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += 1) out[i] = v[i]! + stddev * random.nextGaussian();
  return out;
}

/**
 * Per-site share of distributed noise: total / sqrt(sites). Each site adds N(0, total^2 / K)
 * to its own update, so the encrypted SUM of K updates carries N(0, total^2), the noise the
 * accountant assumed (total = noiseMultiplier x clip norm), while no single site adds all of
 * it. If fewer than K sites contribute (dropouts) or some collude, the sum carries less
 * noise; pass K = the minimum number of sites the round can close with (minSites) to stay
 * on the safe side.
 */
export function siteNoiseStddev(totalStddev: number, sites: number): number {
  if (!(totalStddev >= 0) || !Number.isFinite(totalStddev)) {
    throw new HeflError('invalid_argument', `total noise stddev must be finite and >= 0, got ${totalStddev}`);
  }
  if (!Number.isSafeInteger(sites) || sites < 1) {
    throw new HeflError('invalid_argument', `number of sites must be a positive integer, got ${sites}`);
  }
  return totalStddev / Math.sqrt(sites);
}
