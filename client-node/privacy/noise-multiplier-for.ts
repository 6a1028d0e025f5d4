import { computeEpsilon } from '../../common/dp/rdp-accountant.js';
import { HeflError } from '../../common/errors/index.js';

export interface NoiseMultiplierQuery {
  /** Target epsilon the job states up front; > 0. */
  readonly epsilon: number;
  /** The job's delta, in (0, 1). */
  readonly delta: number;
  /** Noisy releases composed: one per training round. */
  readonly steps: number;
  /**
   * Probability that a site's update is in a round; 1 (the default) because every site
   * that accepted a job takes part in every round, so no amplification by sampling is claimed.
   */
  readonly samplingRate?: number;
}

/** Largest noise multiplier tried before calling an epsilon unreachable. */
const SIGMA_CEILING = 1e6;
/** Bisection stops when the bracket is this narrow relative to sigma (far below 1% in epsilon). */
const RELATIVE_PRECISION = 1e-9;

/**
 * The smallest noise multiplier sigma for which the RDP accountant (`computeEpsilon`,
 * improved conversion, default orders) gives epsilon <= the target over `steps` steps: a
 * bisection on sigma, valid because epsilon falls as sigma grows. The result errs on the
 * safe side (its epsilon is at most the target, and within 1e-9 relative of it in sigma).
 * Throws `invalid_argument` for out-of-range input or an epsilon that needs sigma > 1e6.
 */
export function noiseMultiplierFor(query: NoiseMultiplierQuery): number {
  const { epsilon: target, delta, steps } = query;
  const samplingRate = query.samplingRate ?? 1;
  if (!(target > 0) || !Number.isFinite(target)) {
    throw new HeflError('invalid_argument', `target epsilon must be finite and > 0, got ${target}`);
  }
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new HeflError('invalid_argument', `steps must be a positive integer, got ${steps}`);
  }
  const epsilonAt = (sigma: number) =>
    computeEpsilon({ noiseMultiplier: sigma, samplingRate, steps, delta }).epsilon;
  // Invariant: epsilonAt(low) > target >= epsilonAt(high); epsilonAt(0) is Infinity.
  let low = 0;
  let high = 1;
  while (epsilonAt(high) > target) {
    low = high;
    high *= 2;
    if (high > SIGMA_CEILING) {
      throw new HeflError(
        'invalid_argument',
        `epsilon ${target} over ${steps} steps at delta ${delta} would need a noise multiplier above ${SIGMA_CEILING}`,
      );
    }
  }
  for (let i = 0; i < 200 && high - low > RELATIVE_PRECISION * high; i += 1) {
    const middle = (low + high) / 2;
    if (epsilonAt(middle) > target) low = middle;
    else high = middle;
  }
  return high;
}
