import { HeflError } from '../errors/index.js';

/** What a quantizer is built from; all three are public job parameters, not secrets. */
export interface QuantizerConfig {
  /** Values are clipped to [-clipRange, clipRange] before scaling. */
  readonly clipRange: number;
  /** The largest number of contributions that will ever be summed. */
  readonly maxSites: number;
  /** Optional explicit scale; refused if it could overflow. Default: the largest safe one. */
  readonly scale?: number;
}

/**
 * Integer fixed point for BGV: v -> round(clip(v) * scale). The scale is chosen so that
 * maxSites * max|q| <= (t - 1) / 2: a sum of up to maxSites quantised values can never
 * wrap modulo t, so decrypted sums are exact integers and the only error is rounding,
 * at most contributors / (2 * scale) per value.
 */
export class FixedPointQuantizer {
  readonly clipRange: number;
  readonly maxSites: number;
  readonly scale: number;
  /** Largest |quantised value| any single contribution can have. */
  readonly maxMagnitude: number;

  constructor(config: QuantizerConfig, plainModulus: bigint) {
    const { clipRange, maxSites } = config;
    if (!(Number.isFinite(clipRange) && clipRange > 0)) {
      throw new HeflError('invalid_config', `clipRange must be a positive finite number, got ${clipRange}`);
    }
    if (!(Number.isInteger(maxSites) && maxSites >= 1)) {
      throw new HeflError('invalid_config', `maxSites must be a positive integer, got ${maxSites}`);
    }
    const half = (plainModulus - 1n) / 2n;
    const perSite = Number(half / BigInt(maxSites));
    if (perSite < 1) {
      throw new HeflError(
        'overflow_risk',
        `maxSites ${maxSites} exceeds the plaintext headroom (t/2 = ${half}): even 1 unit per site could overflow`,
      );
    }
    const safeScale = perSite / clipRange;
    const scale = config.scale ?? safeScale;
    if (!(Number.isFinite(scale) && scale > 0)) {
      throw new HeflError('invalid_config', `scale must be a positive finite number, got ${scale}`);
    }
    const maxMagnitude = Math.round(clipRange * scale);
    if (BigInt(maxMagnitude) * BigInt(maxSites) > half) {
      throw new HeflError(
        'overflow_risk',
        `scale ${scale} could overflow: ${maxSites} sites x clip range ${clipRange} x scale ${scale} ` +
          `= ${maxMagnitude * maxSites} exceeds t/2 = ${half}; use a scale <= ${safeScale}`,
      );
    }
    if (maxMagnitude < 1) {
      throw new HeflError('invalid_config', `scale ${scale} rounds every value in the clip range to zero`);
    }
    this.clipRange = clipRange;
    this.maxSites = maxSites;
    this.scale = scale;
    this.maxMagnitude = maxMagnitude;
  }

  /**
   * Quantises `count` values starting at `from` into `out` (zero-padded to its length).
   * Returns how many values were clipped (a count only; never the values). Non-finite
   * input is a bug upstream and is refused rather than silently clipped. `mask` (pairwise
   * masks): `mask[from + i]` in [0, t) is added mod t, the result kept centred in
   * [-(t-1)/2, (t-1)/2]; one pass, so masking costs no extra BigInt conversion.
   */
  quantizeInto(
    values: ArrayLike<number>,
    from: number,
    count: number,
    out: BigInt64Array,
    mask?: { readonly values: Float64Array; readonly modulus: number },
  ): number {
    let clipped = 0;
    const { clipRange, scale } = this;
    const t = mask?.modulus ?? 0;
    const half = (t - 1) / 2;
    for (let i = 0; i < out.length; i++) {
      if (i >= count) {
        out[i] = 0n;
        continue;
      }
      let v = values[from + i]!;
      if (!Number.isFinite(v)) {
        throw new HeflError('invalid_argument', `value at index ${from + i} is not finite`);
      }
      if (v > clipRange) {
        v = clipRange;
        clipped++;
      } else if (v < -clipRange) {
        v = -clipRange;
        clipped++;
      }
      let q = Math.round(v * scale);
      if (mask) {
        // q + mask mod t (exact: |q + mask| < 2^53), without the slow floating-point `%`.
        q += mask.values[from + i]!;
        q -= Math.floor(q / t) * t;
        if (q < 0) q += t;
        else if (q >= t) q -= t;
        if (q > half) q -= t;
      }
      out[i] = BigInt(q);
    }
    return clipped;
  }

  /**
   * Turns a decrypted sum of `contributors` quantised vectors back into floats. Refuses
   * more contributors than the quantizer was sized for: such a sum may have wrapped.
   */
  dequantizeInto(
    sums: BigInt64Array,
    count: number,
    contributors: number,
    out: Float64Array,
    to: number,
  ): void {
    this.checkContributors(contributors);
    for (let i = 0; i < count; i++) out[to + i] = Number(sums[i]!) / this.scale;
  }

  /** Largest possible |decoded sum - exact float sum| for `contributors` clipped inputs. */
  errorBound(contributors: number): number {
    return contributors / (2 * this.scale);
  }

  checkContributors(contributors: number): void {
    if (!(Number.isInteger(contributors) && contributors >= 1 && contributors <= this.maxSites)) {
      throw new HeflError(
        'overflow_risk',
        `a sum of ${contributors} contributions is outside 1..${this.maxSites} this quantizer was sized for`,
      );
    }
  }
}
