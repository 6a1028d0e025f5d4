/*
 * Numerics the RDP accountant needs, in log space so that tiny probabilities and huge
 * binomial coefficients neither underflow nor overflow. Double precision throughout:
 * erfc is accurate to ~1e-15 relative (series below 2, continued fraction above), which the
 * accountant needs because log A_alpha is often ~1e-6 and is a difference of such terms.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
const HALF_LOG_PI = 0.5 * Math.log(Math.PI);

/** log Gamma(x) for x >= 0.5 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) throw new RangeError(`logGamma needs x >= 0.5, got ${x}`);
  const z = x - 1;
  let a = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i += 1) a += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log of the binomial coefficient C(n, k) for integers 0 <= k <= n. */
export function logComb(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** log(exp(x) + exp(y)); -Infinity stands for 0. */
export function logAdd(x: number, y: number): number {
  const a = Math.min(x, y);
  const b = Math.max(x, y);
  if (a === Number.NEGATIVE_INFINITY) return b;
  return Math.log1p(Math.exp(a - b)) + b;
}

/** log(exp(x) - exp(y)) for x >= y; throws if the result would be negative. */
export function logSub(x: number, y: number): number {
  if (x < y) throw new RangeError('log-space subtraction would be negative');
  if (y === Number.NEGATIVE_INFINITY) return x;
  if (x === y) return Number.NEGATIVE_INFINITY;
  const d = Math.expm1(x - y);
  return Number.isFinite(d) ? Math.log(d) + y : x;
}

/** erf(x) * exp(x^2) * sqrt(pi) / 2 by the all-positive series sum 2^n x^(2n+1) / (2n+1)!!. */
function scaledErfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n += 1) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** erfc(x) * exp(x^2) * sqrt(pi) for x >= 2, by the Laplace continued fraction (modified Lentz). */
function scaledErfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n += 1) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** log(erfc(x)), accurate also where erfc(x) underflows (x up to ~1e150). */
export function logErfc(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  if (x === Number.NEGATIVE_INFINITY) return Math.LN2;
  if (x >= 2) return -x * x - HALF_LOG_PI + Math.log(scaledErfcFraction(x));
  if (x >= 0) return Math.log1p(-(2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * scaledErfSeries(x));
  // erfc(x) = 2 - erfc(-x) lies in (1, 2] for x < 0.
  return Math.log(2 - Math.exp(logErfc(-x)));
}
