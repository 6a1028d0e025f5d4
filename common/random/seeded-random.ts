import { HeflError } from '../errors/index.js';

/**
 * A source of pseudo-random numbers that code receives as a dependency, so that data
 * generation, splits and DP noise are reproducible in tests and experiments.
 * Not cryptographically secure: never use it for keys, nonces or masks.
 */
export interface RandomSource {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n); `n` must be an integer in [1, 2^32]. Unbiased (rejection sampling). */
  nextInt(n: number): number;
  /** Standard normal N(0, 1) (Box-Muller). */
  normal(): number;
}

const TWO_POW_32 = 2 ** 32;

/** splitmix32 step: spreads one 32-bit state into well-mixed outputs for seeding. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/**
 * xoshiro128** seeded through splitmix32 from an integer seed (any safe integer, the high
 * bits are mixed in too). The same seed gives the same sequence on every run and platform.
 * Throws `invalid_argument` for a non-integer seed.
 */
export function createSeededRandom(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) {
    throw new HeflError('invalid_argument', 'random seed must be a safe integer');
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  let mix = low ^ Math.imul(high, 0x27d4eb2f);
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [next, out] = splitmix32(mix);
    mix = next;
    state[i] = out;
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return randomFromXoshiroState(state);
}

/**
 * xoshiro128** over an explicit 128-bit state (copied; must not be all zero). Exported for
 * the reference-vector test; everything else should use `createSeededRandom`.
 */
export function randomFromXoshiroState(initial: Uint32Array): RandomSource {
  if (initial.length !== 4 || initial.every((word) => word === 0)) {
    throw new HeflError('invalid_argument', 'xoshiro128** state must be 4 words, not all zero');
  }
  const s = Uint32Array.from(initial);

  const nextUint32 = (): number => {
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return r;
  };

  let spare: number | undefined;
  return {
    next: () => nextUint32() / TWO_POW_32,
    nextInt(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
        throw new HeflError('invalid_argument', 'nextInt bound must be an integer in [1, 2^32]');
      }
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      for (;;) {
        const r = nextUint32();
        if (r < limit) return r % n;
      }
    },
    normal(): number {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      const u1 = 1 - nextUint32() / TWO_POW_32;
      const u2 = nextUint32() / TWO_POW_32;
      const radius = Math.sqrt(-2 * Math.log(u1));
      spare = radius * Math.sin(2 * Math.PI * u2);
      return radius * Math.cos(2 * Math.PI * u2);
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
