import { describe, expect, it } from 'vitest';
import { FixedPointQuantizer } from './fixed-point-quantizer.js';

const T38 = 274877820929n; // the default profile's batching plain modulus

describe('FixedPointQuantizer', () => {
  it('derives the largest scale for which maxSites clipped values cannot overflow t/2', () => {
    const q = new FixedPointQuantizer({ clipRange: 2, maxSites: 1000 }, T38);
    expect(BigInt(q.maxMagnitude) * 1000n).toBeLessThanOrEqual((T38 - 1n) / 2n);
    expect(BigInt(q.maxMagnitude + 1) * 1000n).toBeGreaterThan((T38 - 1n) / 2n);
    expect(q.errorBound(1000)).toBeCloseTo(1000 / (2 * q.scale), 15);
  });

  it('refuses an explicit scale that could overflow, saying why', () => {
    expect(() => new FixedPointQuantizer({ clipRange: 1, maxSites: 1000, scale: 2 ** 30 }, T38)).toThrow(
      /could overflow: 1000 sites x clip range 1 x scale 1073741824 .* exceeds t\/2/,
    );
  });

  it('refuses more sites than the plaintext modulus has room for', () => {
    expect(() => new FixedPointQuantizer({ clipRange: 1, maxSites: 2 ** 40 }, T38)).toThrow(/overflow/);
  });

  it('refuses nonsense configuration', () => {
    expect(() => new FixedPointQuantizer({ clipRange: 0, maxSites: 3 }, T38)).toThrow(/clipRange/);
    expect(() => new FixedPointQuantizer({ clipRange: 1, maxSites: 1.5 }, T38)).toThrow(/maxSites/);
  });

  it('clips, counts the clipped values and zero-pads', () => {
    const q = new FixedPointQuantizer({ clipRange: 1, maxSites: 4 }, T38);
    const out = new BigInt64Array(5);
    const clipped = q.quantizeInto([0.5, 3, -7], 0, 3, out);
    expect(clipped).toBe(2);
    expect(out[1]).toBe(BigInt(q.maxMagnitude));
    expect(out[2]).toBe(BigInt(-q.maxMagnitude));
    expect(out[3]).toBe(0n);
    expect(out[4]).toBe(0n);
  });

  it('adds a mask mod t into the centred range, as BigInt arithmetic does', () => {
    const q = new FixedPointQuantizer({ clipRange: 1, maxSites: 10 }, T38);
    const t = Number(T38);
    const values = [1, -1, 0.5, -0.25, 0, 1, -1];
    const mask = new Float64Array([t - 1, t - 1, 0, 123456789, t - 2, 1, 0]);
    const out = new BigInt64Array(8);
    q.quantizeInto(values, 0, values.length, out, { values: mask, modulus: t });
    const half = (T38 - 1n) / 2n;
    values.forEach((v, i) => {
      let r = (BigInt(Math.round(v * q.scale)) + BigInt(mask[i]!)) % T38;
      if (r < 0n) r += T38;
      expect(out[i]).toBe(r > half ? r - T38 : r);
    });
    expect(out[7]).toBe(0n);
  });
});
