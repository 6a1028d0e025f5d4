import { describe, expect, it } from 'vitest';
import { type NoiseSource, seededNoiseSource } from '../../common/dp/noise-source.js';
import { HeflError } from '../../common/errors/index.js';
import { type DpFilterSettings, DpUpdateFilter } from './dp-update-filter.js';
import { applyUpdateFilters, type UpdateFilter } from './update-filter.js';

const SETTINGS: DpFilterSettings = { clipNorm: 1, noiseMultiplier: 1.1, noiseShares: 4 };
const ZERO_NOISE: NoiseSource = { nextGaussian: () => 0 };

function l2(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function sampleStddev(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i += 1) sum += v[i]!;
  const mean = sum / v.length;
  let ss = 0;
  for (let i = 0; i < v.length; i += 1) ss += (v[i]! - mean) ** 2;
  return Math.sqrt(ss / (v.length - 1));
}

describe('DpUpdateFilter', () => {
  it('clips an over-long update to clipNorm and records that it clipped (no values)', () => {
    const filter = new DpUpdateFilter({ ...SETTINGS, clipNorm: 0.5 }, ZERO_NOISE);

    const { update, record } = filter.apply(Float32Array.of(3, 4));

    expect(l2(update)).toBeLessThanOrEqual(0.5);
    expect(l2(update)).toBeGreaterThan(0.5 * (1 - 1e-5));
    expect(update[0]! / update[1]!).toBeCloseTo(0.75, 6);
    expect(record).toEqual({
      filter: 'dp-gaussian',
      clipNorm: 0.5,
      noiseMultiplier: 1.1,
      noiseShares: 4,
      clipped: true,
    });
    expect(Object.isFrozen(record)).toBe(true);
  });

  it('leaves a short update unscaled and does not modify its input', () => {
    const input = Float32Array.of(0.3, -0.4);
    const filter = new DpUpdateFilter(SETTINGS, ZERO_NOISE);

    const { update, record } = filter.apply(input);

    expect(Array.from(update)).toEqual(Array.from(input));
    expect(update).not.toBe(input);
    expect(record.clipped).toBe(false);
  });

  it('adds noise of stddev noiseMultiplier * clipNorm / sqrt(K) per coordinate (seeded, 200k coordinates)', () => {
    const settings = { clipNorm: 0.5, noiseMultiplier: 1.3, noiseShares: 4 };
    const filter = new DpUpdateFilter(settings, seededNoiseSource(7));

    const { update } = filter.apply(new Float32Array(200_000));

    const expected = (1.3 * 0.5) / 2;
    expect(filter.siteStddev).toBeCloseTo(expected, 12);
    // standard error of a sample stddev: expected / sqrt(2n) ~ 0.16%; allow 2%.
    expect(Math.abs(sampleStddev(update) / expected - 1)).toBeLessThan(0.02);
  });

  it('K sites together carry N(0, (noiseMultiplier * clipNorm)^2) in their sum', () => {
    const settings = { clipNorm: 2, noiseMultiplier: 0.8, noiseShares: 5 };
    const sum = new Float64Array(100_000);

    for (let site = 0; site < 5; site += 1) {
      const { update } = new DpUpdateFilter(settings, seededNoiseSource(100 + site)).apply(
        new Float32Array(sum.length),
      );
      for (let i = 0; i < sum.length; i += 1) sum[i] = sum[i]! + update[i]!;
    }

    expect(Math.abs(sampleStddev(sum) / (0.8 * 2) - 1)).toBeLessThan(0.02);
  });

  it('draws the same noise whatever the update values (noise independent of the data)', () => {
    const a = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.01);
    const b = Float32Array.from({ length: 1000 }, (_, i) => Math.cos(3 * i) * 0.02);

    const noisyA = new DpUpdateFilter(SETTINGS, seededNoiseSource(11)).apply(a).update;
    const noisyB = new DpUpdateFilter(SETTINGS, seededNoiseSource(11)).apply(b).update;

    for (let i = 0; i < a.length; i += 1) {
      expect(noisyA[i]! - a[i]!).toBeCloseTo(noisyB[i]! - b[i]!, 5);
    }
    expect(sampleStddev(Array.from(noisyA, (x, i) => x - a[i]!))).toBeGreaterThan(0.4);
  });

  it('is deterministic with a seeded source and fresh with the default CSPRNG source', () => {
    const v = new Float32Array(64);

    const seeded1 = new DpUpdateFilter(SETTINGS, seededNoiseSource(3)).apply(v).update;
    const seeded2 = new DpUpdateFilter(SETTINGS, seededNoiseSource(3)).apply(v).update;
    const crypto1 = new DpUpdateFilter(SETTINGS).apply(v).update;
    const crypto2 = new DpUpdateFilter(SETTINGS).apply(v).update;

    expect(seeded1).toEqual(seeded2);
    expect(crypto1).not.toEqual(crypto2);
  });

  it('refuses bad settings and non-finite updates', () => {
    for (const bad of [
      { ...SETTINGS, clipNorm: 0 },
      { ...SETTINGS, noiseMultiplier: 0 },
      { ...SETTINGS, noiseMultiplier: Number.POSITIVE_INFINITY },
      { ...SETTINGS, noiseShares: 0 },
      { ...SETTINGS, noiseShares: 2.5 },
    ]) {
      expect(() => new DpUpdateFilter(bad, ZERO_NOISE)).toThrow(HeflError);
    }
    expect(() => new DpUpdateFilter(SETTINGS, ZERO_NOISE).apply(Float32Array.of(1, Number.NaN))).toThrow(
      /index 1/,
    );
  });
});

describe('applyUpdateFilters', () => {
  it('runs filters in order and keeps each one’s record', () => {
    const double: UpdateFilter = {
      name: 'double',
      apply: (u) => ({ update: u.map((x) => 2 * x), record: { filter: 'double' } }),
    };
    const dp = new DpUpdateFilter({ ...SETTINGS, clipNorm: 1 }, ZERO_NOISE);

    const { update, records } = applyUpdateFilters([double, dp], Float32Array.of(0.3, 0.4));

    expect(l2(update)).toBeCloseTo(1, 5); // doubled to norm 1.0, then clipped to 1
    expect(records.map((r) => r.filter)).toEqual(['double', 'dp-gaussian']);
  });
});
