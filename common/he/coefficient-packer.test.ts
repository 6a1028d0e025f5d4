import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { packCoefficients, packedLength, unpackCoefficients } from './coefficient-packer.js';

const Q54 = 18014398509404161n; // the default profile's 54-bit prime

function randomCoefficients(count: number, modulus: bigint, seed: number): Uint8Array {
  const bytes = new Uint8Array(count * 8);
  const view = new DataView(bytes.buffer);
  let x = BigInt(seed) * 6364136223846793005n + 1442695040888963407n;
  for (let i = 0; i < count; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    view.setBigUint64(i * 8, x % modulus, true);
  }
  return bytes;
}

describe('coefficient packer', () => {
  it.each([33, 40, 54, 60, 61])('round-trips %i-bit coefficients exactly', (bits) => {
    const modulus = (1n << BigInt(bits)) - 1n;
    const source = randomCoefficients(1001, modulus, bits);
    const packed = packCoefficients(source, 0, 1001, bits, modulus);
    expect(packed.length).toBe(packedLength(1001, bits));
    const target = new Uint8Array(1001 * 8 + 3);
    unpackCoefficients(packed, 1001, bits, modulus, target, 3);
    expect(target.subarray(3)).toEqual(source);
  });

  it('uses 54/64 of SEAL’s bytes for a 54-bit modulus', () => {
    const packed = packCoefficients(randomCoefficients(2048, Q54, 1), 0, 2048, 54, Q54);
    expect(packed.length).toBe((2048 * 54) / 8);
  });

  it('refuses a coefficient that is not reduced modulo q', () => {
    const source = randomCoefficients(4, Q54, 2);
    new DataView(source.buffer).setBigUint64(16, Q54, true);
    expect(() => packCoefficients(source, 0, 4, 54, Q54)).toThrow(/coefficient 2 is not reduced/);
    const packed = packCoefficients(randomCoefficients(4, 1n << 54n, 3), 0, 4, 54, 1n << 54n);
    const tooBig = packed.slice();
    tooBig.fill(0xff, 0, 27);
    expect(() => unpackCoefficients(tooBig, 4, 54, Q54, new Uint8Array(32), 0)).toThrow(HeflError);
  });

  it('refuses wrong lengths and non-zero padding bits', () => {
    const packed = packCoefficients(randomCoefficients(3, Q54, 4), 0, 3, 54, Q54); // 162 bits -> 21 bytes
    expect(() => unpackCoefficients(packed.subarray(1), 3, 54, Q54, new Uint8Array(24), 0)).toThrow(
      /expected 21/,
    );
    const padded = packed.slice();
    padded[20] = padded[20]! | 0x80; // bit 167, beyond 3 x 54 = 162 bits
    expect(() => unpackCoefficients(padded, 3, 54, Q54, new Uint8Array(24), 0)).toThrow(/padding/);
  });
});
