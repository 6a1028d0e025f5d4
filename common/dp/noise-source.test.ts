import { describe, expect, it } from 'vitest';
import { cryptoNoiseSource, type NoiseSource, seededNoiseSource } from './noise-source.js';

function moments(source: NoiseSource, count: number): { mean: number; variance: number; maxAbs: number } {
  let sum = 0;
  let sumSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < count; i += 1) {
    const x = source.nextGaussian();
    sum += x;
    sumSq += x * x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = sum / count;
  return { mean, variance: sumSq / count - mean * mean, maxAbs };
}

describe('noise sources', () => {
  it('seeded source repeats exactly for the same seed and differs for another', () => {
    const a = seededNoiseSource(42);
    const b = seededNoiseSource(42);
    const c = seededNoiseSource(43);

    const first = Array.from({ length: 8 }, () => a.nextGaussian());
    const second = Array.from({ length: 8 }, () => b.nextGaussian());
    const other = Array.from({ length: 8 }, () => c.nextGaussian());

    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  // 200k draws: standard error of the mean 0.0022, of the variance ~0.0032; bounds are ~5 sigma.
  it.each([
    ['seeded', () => seededNoiseSource(7)],
    ['crypto', () => cryptoNoiseSource()],
  ])('%s source has mean 0 and variance 1', (_name, make) => {
    const { mean, variance, maxAbs } = moments(make(), 200_000);

    expect(Math.abs(mean)).toBeLessThan(0.012);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(maxAbs).toBeGreaterThan(3);
    expect(maxAbs).toBeLessThan(7);
  });

  it('crypto source does not repeat across instances', () => {
    const a = cryptoNoiseSource();
    const b = cryptoNoiseSource();

    expect(a.nextGaussian()).not.toBe(b.nextGaussian());
  });
});
