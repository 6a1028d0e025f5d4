import { HeflError } from '../errors/index.js';
import { logAdd, logComb, logErfc, logSub } from './log-space-math.js';

/**
 * Default RDP orders: 1 + x/10 for x = 1..100 (1.1 .. 11.0), then 12..63, 128, 256, 512,
 * 1024. This is Opacus' / TF Privacy's DEFAULT_ALPHAS (which skip 11) plus 11 and the large
 * orders of dp-accounting's RdpAccountant, which matter for very small epsilon.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 100 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
  128,
  256,
  512,
  1024,
]);

/**
 * How RDP is turned into (epsilon, delta)-DP.
 * - 'improved' (default): Balle et al. 2020 Prop. 12 / Canonne-Kamath-Steinke 2020 eq. 20,
 *   eps = rdp + log1p(-1/a) - (log(delta) + log(a)) / (a - 1), with the KL-based shortcut
 *   to eps = 0, exactly as dp-accounting's `_compute_epsilon` and current Opacus.
 * - 'classic': Mironov 2017 Prop. 3, eps = rdp - log(delta) / (a - 1), as in TF Privacy
 *   before 2020 (the numbers in its MNIST tutorial README). Always >= 'improved'.
 */
export type RdpConversion = 'improved' | 'classic';

/** Inputs of one DP-SGD style training run at a site (per-example or per-round accounting). */
export interface EpsilonQuery {
  /** sigma: noise stddev divided by the L2 clipping norm (sensitivity); dimensionless. */
  readonly noiseMultiplier: number;
  /** q: Poisson sampling probability of each record per step; 1 for full batch. */
  readonly samplingRate: number;
  /** Number of noisy steps composed (e.g. local steps x rounds). */
  readonly steps: number;
  /** Target delta, in (0, 1). */
  readonly delta: number;
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
}

/** The best (smallest) epsilon over the orders tried, and the order that gave it. */
export interface EpsilonResult {
  readonly epsilon: number;
  readonly order: number;
}

/** log A_alpha for integer alpha, 0 < q < 1 (Mironov, Talwar, Zhang 2019, Sec. 3.3). */
function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= alpha; i += 1) {
    const logCoef = logComb(alpha, i) + i * Math.log(q) + (alpha - i) * Math.log(1 - q);
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

/** log A_alpha for fractional alpha, 0 < q < 1 (ibid., Sec. 3.3, two half-line integrals). */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  let coef = 1; // binom(alpha, i), built incrementally
  for (let i = 0; ; i += 1) {
    if (i > 0) coef *= (alpha - i + 1) / i;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log(1 - q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log(1 - q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coef > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/** RDP of one step of the Poisson-subsampled Gaussian mechanism at `order`. */
function rdpOneStep(q: number, sigma: number, order: number): number {
  if (order === Number.POSITIVE_INFINITY || sigma === 0) return Number.POSITIVE_INFINITY;
  if (q === 0) return 0;
  if (q === 1) return order / (2 * sigma * sigma);
  const logA = Number.isInteger(order) ? logAInt(q, sigma, order) : logAFrac(q, sigma, order);
  return logA / (order - 1);
}

function invalid(message: string): HeflError {
  return new HeflError('invalid_argument', `RDP accountant: ${message}`);
}

function checkOrders(orders: readonly number[]): void {
  if (orders.length === 0) throw invalid('no orders given');
  for (const order of orders) {
    if (!(order > 1)) throw invalid(`orders must be > 1, got ${order}`);
  }
}

/**
 * RDP of `steps` compositions of the sampled Gaussian mechanism, per order (Mironov, Talwar,
 * Zhang 2019, as in dp-accounting's `_compute_rdp_poisson_subsampled_gaussian`). For
 * samplingRate 1 this is the closed form steps * order / (2 sigma^2).
 */
export function computeRdp(
  noiseMultiplier: number,
  samplingRate: number,
  steps: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): number[] {
  if (!(noiseMultiplier >= 0) || !Number.isFinite(noiseMultiplier)) {
    throw invalid(`noiseMultiplier must be finite and >= 0, got ${noiseMultiplier}`);
  }
  if (!(samplingRate >= 0 && samplingRate <= 1))
    throw invalid(`samplingRate must be in [0, 1], got ${samplingRate}`);
  if (!Number.isSafeInteger(steps) || steps < 0)
    throw invalid(`steps must be a non-negative integer, got ${steps}`);
  checkOrders(orders);
  return orders.map((order) => (steps === 0 ? 0 : steps * rdpOneStep(samplingRate, noiseMultiplier, order)));
}

/** Smallest epsilon at `delta` over the given (order, RDP) pairs; see `RdpConversion`. */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'improved',
): EpsilonResult {
  if (!(delta > 0 && delta < 1)) throw invalid(`delta must be in (0, 1), got ${delta}`);
  if (orders.length !== rdp.length) throw invalid('orders and rdp differ in length');
  checkOrders(orders);
  let best: EpsilonResult = { epsilon: Number.POSITIVE_INFINITY, order: orders[0]! };
  orders.forEach((a, index) => {
    const r = rdp[index]!;
    if (!(r >= 0)) throw invalid(`RDP must be >= 0, got ${r} at order ${a}`);
    let epsilon: number;
    if (conversion === 'classic') {
      epsilon = r - Math.log(delta) / (a - 1);
    } else if (delta * delta + Math.expm1(-r) > 0) {
      epsilon = 0; // delta <= sqrt(1 - exp(-KL)) already holds
    } else if (a > 1.01) {
      epsilon = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    } else {
      epsilon = Number.POSITIVE_INFINITY; // bound numerically unstable as a -> 1
    }
    if (epsilon < best.epsilon) best = { epsilon, order: a };
  });
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/**
 * (epsilon, delta) spent by a site that ran `steps` sampled-Gaussian steps. Used before a
 * job (does the budget allow it?) and after each round (what was spent). Throws
 * `invalid_argument` for out-of-range inputs; returns epsilon = Infinity when
 * noiseMultiplier is 0 (no privacy).
 */
export function computeEpsilon(query: EpsilonQuery): EpsilonResult {
  const orders = query.orders ?? DEFAULT_RDP_ORDERS;
  const rdp = computeRdp(query.noiseMultiplier, query.samplingRate, query.steps, orders);
  return rdpToEpsilon(orders, rdp, query.delta, query.conversion ?? 'improved');
}
