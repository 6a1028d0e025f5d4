import { HeflError } from '../errors/index.js';

/** Bits per limb: 1000 sites x 2^24 stays far below the default profile's t/2 (2^37). */
export const LIMB_BITS = 24;
const LIMB_BASE = 2n ** BigInt(LIMB_BITS);

export interface LimbEncodingOptions {
  /** Binary digits kept after the point: resolution 2^-fractionalBits. */
  readonly fractionalBits: number;
  /** Limbs per value; magnitude limit is 2^(limbs*24 - fractionalBits). */
  readonly limbs: number;
}

/** Feature statistics and evaluation sums: 16 fractional bits, up to 2^80 in magnitude. */
export const STATS_ENCODING: LimbEncodingOptions = Object.freeze({ fractionalBits: 16, limbs: 4 });

/**
 * Exact sums of large numbers (counts, sums of squares, loss sums) through an additive
 * cipher with a small plaintext modulus: each value becomes fixed point, split into
 * signed 24-bit limbs. Limb-wise sums of up to ~8000 sites cannot wrap, and
 * recombining them gives the exact fixed-point sum whatever the magnitudes.
 */
export function encodeLimbs(values: ArrayLike<number>, options: LimbEncodingOptions): BigInt64Array {
  const { fractionalBits, limbs } = options;
  const limit = 2n ** BigInt(limbs * LIMB_BITS);
  const out = new BigInt64Array(values.length * limbs);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new HeflError('invalid_argument', `value at index ${i} is not finite`);
    let fixed = BigInt(Math.round(v * 2 ** fractionalBits));
    const negative = fixed < 0n;
    if (negative) fixed = -fixed;
    if (fixed >= limit) {
      throw new HeflError('invalid_argument', `value at index ${i} is too large for ${limbs} limbs`);
    }
    for (let j = 0; j < limbs; j++) {
      const limb = fixed % LIMB_BASE;
      out[i * limbs + j] = negative ? -limb : limb;
      fixed /= LIMB_BASE;
    }
  }
  return out;
}

/** Recombines limb-wise sums into values (exact in fixed point, then one rounding to float). */
export function decodeLimbs(sums: BigInt64Array, options: LimbEncodingOptions): Float64Array {
  const { fractionalBits, limbs } = options;
  if (sums.length % limbs !== 0) {
    throw new HeflError(
      'malformed_ciphertext',
      `limb vector of ${sums.length} is not a multiple of ${limbs}`,
    );
  }
  const out = new Float64Array(sums.length / limbs);
  for (let i = 0; i < out.length; i++) {
    let total = 0n;
    for (let j = limbs - 1; j >= 0; j--) total = total * LIMB_BASE + sums[i * limbs + j]!;
    out[i] = Number(total) / 2 ** fractionalBits;
  }
  return out;
}

/** The largest |limb| a single contribution can carry. */
export const LIMB_MAGNITUDE = 2 ** LIMB_BITS - 1;
