import { randomBytes } from 'node:crypto';

/**
 * Where DP noise comes from. Injected (never a global) so tests and simulations can be
 * reproduced with a seeded source while real sites use `cryptoNoiseSource()`.
 *
 * Caveat: like Opacus and TF Privacy, the noise is double precision sampled and rounded to
 * float32; Mironov 2012 shows the low-order bits of floating-point Laplace/Gaussian samples
 * can leak. Secure-noise sampling (e.g. discrete Gaussian) is not implemented here.
 */
export interface NoiseSource {
  /** One independent draw from the standard normal N(0, 1). */
  nextGaussian(): number;
}

/**
 * A noise source that also draws uniforms: DP-SGD's Poisson sampling decides with it which
 * records a step uses. The choice must stay as secret as the noise (the accountant's
 * amplification by sampling assumes nobody can predict it), so it comes from the same source.
 */
export interface RandomSource extends NoiseSource {
  /** One independent draw, uniform on [0, 1). */
  nextUniform(): number;
}

/** Marsaglia's polar method over a uniform [0, 1) generator; caches the second draw. */
class PolarGaussian implements RandomSource {
  #spare: number | null = null;

  constructor(private readonly uniform: () => number) {}

  nextUniform(): number {
    return this.uniform();
  }

  nextGaussian(): number {
    if (this.#spare !== null) {
      const spare = this.#spare;
      this.#spare = null;
      return spare;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const factor = Math.sqrt((-2 * Math.log(s)) / s);
        this.#spare = v * factor;
        return u * factor;
      }
    }
  }
}

/** 53 random bits from two 32-bit words -> a double uniform on [0, 1). */
function toUniform(hi: number, lo: number): number {
  return ((hi >>> 5) * 67_108_864 + (lo >>> 6)) / 9_007_199_254_740_992;
}

/**
 * The source real sites use: node:crypto's CSPRNG, read in 4 KiB blocks, turned into
 * 53-bit uniform doubles and then Gaussians by the polar method.
 */
export function cryptoNoiseSource(): RandomSource {
  const words = 1024;
  let pool = new Uint32Array(0);
  let next = words;
  const word = (): number => {
    if (next >= pool.length) {
      const bytes = randomBytes(words * 4);
      pool = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
      next = 0;
    }
    return pool[next++]!;
  };
  return new PolarGaussian(() => toUniform(word(), word()));
}

/**
 * A deterministic source (xoshiro128** seeded through splitmix32) for tests and reproducible
 * simulations. Predictable noise gives no privacy: never use it at a real site.
 */
export function seededNoiseSource(seed: number): RandomSource {
  let x = seed >>> 0;
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix()] as [number, number, number, number];
  const word = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  return new PolarGaussian(() => toUniform(word(), word()));
}

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}
