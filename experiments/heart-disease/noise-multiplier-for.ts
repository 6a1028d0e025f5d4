import { computeEpsilon } from '../../common/dp/index.js';
import { HeflError } from '../../common/errors/index.js';

/**
 * Smallest Gaussian noise multiplier (to 0.1%) that keeps `rounds` full-participation
 * releases of the summed update within (epsilon, delta), by the RDP accountant with
 * sampling rate 1 (every site in every round). Bisection; epsilon must be positive.
 */
export function noiseMultiplierFor(epsilon: number, delta: number, rounds: number): number {
  if (!(epsilon > 0)) throw new HeflError('invalid_argument', `epsilon must be positive, got ${epsilon}`);
  const spent = (sigma: number) =>
    computeEpsilon({ noiseMultiplier: sigma, samplingRate: 1, steps: rounds, delta }).epsilon;
  let low = 0.01;
  let high = 1;
  while (spent(high) > epsilon) high *= 2;
  while ((high - low) / high > 1e-3) {
    const mid = (low + high) / 2;
    if (spent(mid) > epsilon) low = mid;
    else high = mid;
  }
  return high;
}
