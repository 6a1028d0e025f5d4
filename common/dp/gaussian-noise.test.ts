import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { addGaussianNoise, clipL2, siteNoiseStddev } from './gaussian-noise.js';
import { type NoiseSource, seededNoiseSource } from './noise-source.js';

/** Replays fixed standard-normal draws so expected outputs can be written by hand. */
function replay(values: number[]): NoiseSource {
  let i = 0;
  return { nextGaussian: () => values[i++ % values.length]! };
}

describe('clipL2', () => {
  it('scales an over-long vector to maxNorm (3-4-5 triangle)', () => {
    const { clipped, norm, scaleApplied } = clipL2(Float32Array.of(3, 4), 1);

    expect(norm).toBe(5);
    expect(scaleApplied).toBeCloseTo(0.2, 15);
    expect(clipped[0]).toBeCloseTo(0.6, 6);
    expect(clipped[1]).toBeCloseTo(0.8, 6);
  });

  it('leaves a short vector unchanged, in a new array', () => {
    const input = Float32Array.of(0.3, -0.4);

    const { clipped, norm, scaleApplied } = clipL2(input, 1);

    expect(scaleApplied).toBe(1);
    expect(norm).toBeCloseTo(0.5, 7);
    expect(clipped).toEqual(input);
    expect(clipped).not.toBe(input);
  });

  it('refuses a non-positive norm and non-finite values', () => {
    expect(() => clipL2(Float32Array.of(1), 0)).toThrow(HeflError);
    expect(() => clipL2(Float32Array.of(1, Number.NaN), 1)).toThrow(/index 1/);
  });
});

describe('addGaussianNoise', () => {
  it('adds stddev times the standard-normal draws', () => {
    const noisy = addGaussianNoise(Float32Array.of(1, 2, 3), 0.5, replay([1, -2, 0.5]));

    expect(Array.from(noisy)).toEqual([1.5, 1, 3.25]);
  });

  it('adds nothing at stddev 0 and refuses a negative stddev', () => {
    const v = Float32Array.of(1, 2);

    expect(addGaussianNoise(v, 0, seededNoiseSource(1))).toEqual(v);
    expect(() => addGaussianNoise(v, -1, seededNoiseSource(1))).toThrow(HeflError);
  });
});

describe('siteNoiseStddev', () => {
  it('is total / sqrt(K)', () => {
    expect(siteNoiseStddev(2, 4)).toBe(1);
    expect(siteNoiseStddev(3, 1)).toBe(3);
    expect(() => siteNoiseStddev(1, 0)).toThrow(HeflError);
  });

  it('the sum of K sites shares carries the total variance', () => {
    const sites = 4;
    const total = 3;
    const share = siteNoiseStddev(total, sites);
    const sources = Array.from({ length: sites }, (_, k) => seededNoiseSource(100 + k));
    const zeros = new Float32Array(50_000);

    const sum = new Float64Array(zeros.length);
    for (const source of sources) {
      const noisy = addGaussianNoise(zeros, share, source);
      for (let i = 0; i < sum.length; i += 1) sum[i] = sum[i]! + noisy[i]!;
    }
    let sumSq = 0;
    for (const x of sum) sumSq += x * x;

    // Expected variance total^2 = 9; standard error ~9 * sqrt(2 / 50000) = 0.057.
    expect(Math.abs(sumSq / sum.length - total * total)).toBeLessThan(0.3);
  });
});
