import { describe, expect, it } from 'vitest';
import { decodeLimbs, encodeLimbs, LIMB_MAGNITUDE, STATS_ENCODING } from './limb-encoding.js';

describe('limb encoding', () => {
  it('sums of many large and negative values come back exact in fixed point', () => {
    const sites = [
      [1234567.25, -3.5, 9.75e12, 0],
      [7654321.5, 2.25, 1.25e12, -0.0625],
      [1, -1e9, 3e12, 0.0625],
    ];
    const encoded = sites.map((v) => encodeLimbs(v, STATS_ENCODING));
    const sum = new BigInt64Array(encoded[0]!.length);
    for (const e of encoded)
      e.forEach((limb, i) => {
        sum[i] = sum[i]! + limb;
      });
    expect(Array.from(decodeLimbs(sum, STATS_ENCODING))).toEqual([8888889.75, -1000000001.25, 1.4e13, 0]);
  });

  it('keeps every limb within the bound the cipher is sized for', () => {
    const encoded = encodeLimbs([-(2 ** 70), 2 ** 60 + 12345.678, -1e-3], STATS_ENCODING);
    for (const limb of encoded) expect(Math.abs(Number(limb))).toBeLessThanOrEqual(LIMB_MAGNITUDE);
  });

  it('refuses values too large for the limbs and non-finite values', () => {
    expect(() => encodeLimbs([2 ** 81], STATS_ENCODING)).toThrow(/too large/);
    expect(() => encodeLimbs([1, Number.POSITIVE_INFINITY], STATS_ENCODING)).toThrow(/index 1 is not finite/);
  });
});
