import { HeflError } from '../errors/index.js';

/** SEAL serialization magic (0xA15E, little endian) at the start of every header. */
const MAGIC_LO = 0x5e;
const MAGIC_HI = 0xa1;
const HEADER_BYTES = 16;
/** Ciphertext members before the coefficient array: parms_id(32) ntt(1) size, N, L, scale, correction(8 each). */
const MEMBERS_BYTES = 32 + 1 + 8 * 5;
/** The coefficient DynArray is a nested serialization: its own header, then a uint64 element count. */
const COEFF_OFFSET = HEADER_BYTES + MEMBERS_BYTES + HEADER_BYTES + 8;
/** A seeded ciphertext replaces its second polynomial by a PRNG type byte and a 64-byte seed. */
const SEED_BYTES = 64;
const PRNG_BLAKE2XB = 1;
/** SEAL 4.1 header: magic, header size 16, version 4.1, compression none, 2 reserved, total size. */
function writeHeader(view: DataView, at: number, size: number): void {
  view.setUint8(at, MAGIC_LO);
  view.setUint8(at + 1, MAGIC_HI);
  view.setUint8(at + 2, HEADER_BYTES);
  view.setUint8(at + 3, 4);
  view.setUint8(at + 4, 1);
  view.setBigUint64(at + 8, BigInt(size), true);
}

/**
 * The fixed framing SEAL puts around a ciphertext's coefficients, learned once per
 * profile from a ciphertext this process made itself. Everything outside the coefficient
 * array is a constant of the parameters (parms_id, NTT flag, sizes) except the 64-byte
 * PRNG seed of a seeded ciphertext — so hefl's wire format ships only the packed
 * coefficients (and the seed), and rebuilds SEAL's exact bytes on arrival.
 */
export class SealFrame {
  readonly prefix: Uint8Array;
  readonly coefficientCount: number;
  /** Constant bytes after the coefficients (the seed block's header and PRNG type). */
  readonly suffixConstant: Uint8Array;
  /** Variable bytes after the coefficients (the seed itself); 0 for a full ciphertext. */
  readonly suffixVariableLength: number;

  private constructor(prefix: Uint8Array, count: number, suffixConstant: Uint8Array, variable: number) {
    this.prefix = prefix;
    this.coefficientCount = count;
    this.suffixConstant = suffixConstant;
    this.suffixVariableLength = variable;
  }

  /**
   * Builds the frame of a BGV ciphertext from public parameters only, so the coordinator
   * needs no key (not even a throw-away one) to validate and rebuild ciphertexts. A test
   * checks this against what SEAL really writes ({@link SealFrame.learn}).
   */
  static forBgv(parmsId: BigUint64Array, degree: number, primes: number, seeded: boolean): SealFrame {
    const count = (seeded ? 1 : 2) * degree * primes;
    const seedBlock = seeded ? HEADER_BYTES + 1 + SEED_BYTES : 0;
    const total = COEFF_OFFSET + count * 8 + seedBlock;
    const prefix = new Uint8Array(COEFF_OFFSET);
    const view = new DataView(prefix.buffer);
    writeHeader(view, 0, total);
    parmsId.forEach((word, i) => {
      view.setBigUint64(HEADER_BYTES + i * 8, word, true);
    });
    let at = HEADER_BYTES + 32;
    view.setUint8(at, 1); // BGV ciphertexts live in NTT form
    at += 1;
    view.setBigUint64(at, 2n, true); // polynomials in the ciphertext
    view.setBigUint64(at + 8, BigInt(degree), true);
    view.setBigUint64(at + 16, BigInt(primes), true);
    view.setFloat64(at + 24, 1, true); // scale (unused by BGV)
    view.setBigUint64(at + 32, 1n, true); // BGV correction factor
    writeHeader(view, HEADER_BYTES + MEMBERS_BYTES, HEADER_BYTES + 8 + count * 8);
    view.setBigUint64(HEADER_BYTES + MEMBERS_BYTES + HEADER_BYTES, BigInt(count), true);
    if (!seeded) return new SealFrame(prefix, count, new Uint8Array(0), 0);
    const suffix = new Uint8Array(HEADER_BYTES + 1);
    writeHeader(new DataView(suffix.buffer), 0, seedBlock);
    suffix[HEADER_BYTES] = PRNG_BLAKE2XB;
    return new SealFrame(prefix, count, suffix, SEED_BYTES);
  }

  /**
   * Learns the frame from an uncompressed SEAL serialization. `seeded` ciphertexts carry
   * one polynomial and a seed block; full ones carry all polynomials and nothing after.
   * Throws 'internal' if SEAL's format is not what this code was written for.
   */
  static learn(sample: Uint8Array, seeded: boolean): SealFrame {
    const view = new DataView(sample.buffer, sample.byteOffset, sample.byteLength);
    const checkHeader = (at: number, what: string): number => {
      if (sample[at] !== MAGIC_LO || sample[at + 1] !== MAGIC_HI || sample[at + 5] !== 0) {
        throw new HeflError('internal', `unexpected SEAL serialization layout (${what} header)`);
      }
      return Number(view.getBigUint64(at + 8, true));
    };
    if (checkHeader(0, 'ciphertext') !== sample.length) {
      throw new HeflError('internal', 'unexpected SEAL serialization layout (total size)');
    }
    const polys = Number(view.getBigUint64(HEADER_BYTES + 33, true));
    const degree = Number(view.getBigUint64(HEADER_BYTES + 41, true));
    const primes = Number(view.getBigUint64(HEADER_BYTES + 49, true));
    const dynStart = HEADER_BYTES + MEMBERS_BYTES;
    const dynSize = checkHeader(dynStart, 'coefficient array');
    const count = Number(view.getBigUint64(dynStart + HEADER_BYTES, true));
    const expected = (seeded ? 1 : polys) * degree * primes;
    if (count !== expected || dynSize !== HEADER_BYTES + 8 + count * 8) {
      throw new HeflError('internal', 'unexpected SEAL serialization layout (coefficient count)');
    }
    const end = COEFF_OFFSET + count * 8;
    const rest = sample.subarray(end);
    if (seeded) {
      const seedSize = checkHeader(end, 'seed');
      if (seedSize !== rest.length || rest.length < HEADER_BYTES + 2) {
        throw new HeflError('internal', 'unexpected SEAL serialization layout (seed block)');
      }
      // header + PRNG type byte are constant; the seed that follows is per ciphertext.
      return new SealFrame(
        sample.slice(0, COEFF_OFFSET),
        count,
        rest.slice(0, HEADER_BYTES + 1),
        rest.length - HEADER_BYTES - 1,
      );
    }
    if (rest.length !== 0) {
      throw new HeflError('internal', 'unexpected SEAL serialization layout (trailing bytes)');
    }
    return new SealFrame(sample.slice(0, COEFF_OFFSET), count, new Uint8Array(0), 0);
  }

  get serializedLength(): number {
    return (
      this.prefix.length + this.coefficientCount * 8 + this.suffixConstant.length + this.suffixVariableLength
    );
  }

  /**
   * Checks that `serialized` has exactly this frame's constant parts (same parameters,
   * same form) and returns where its variable suffix starts.
   */
  match(serialized: Uint8Array): { coefficientsAt: number; variableAt: number } {
    if (serialized.length !== this.serializedLength) {
      throw new HeflError('malformed_ciphertext', 'ciphertext does not have the profile’s size');
    }
    if (!bytesEqual(serialized.subarray(0, this.prefix.length), this.prefix)) {
      throw new HeflError('profile_mismatch', 'ciphertext header does not match the profile’s parameters');
    }
    const suffixAt = this.prefix.length + this.coefficientCount * 8;
    const suffix = serialized.subarray(suffixAt, suffixAt + this.suffixConstant.length);
    if (!bytesEqual(suffix, this.suffixConstant)) {
      throw new HeflError('profile_mismatch', 'ciphertext seed block does not match the profile');
    }
    return { coefficientsAt: this.prefix.length, variableAt: suffixAt + this.suffixConstant.length };
  }

  /** Builds SEAL's serialization around coefficients unpacked into it by the caller. */
  allocate(variable: Uint8Array): { bytes: Uint8Array; coefficientsAt: number } {
    if (variable.length !== this.suffixVariableLength) {
      throw new HeflError('malformed_ciphertext', 'seed has the wrong length');
    }
    const bytes = new Uint8Array(this.serializedLength);
    bytes.set(this.prefix, 0);
    const suffixAt = this.prefix.length + this.coefficientCount * 8;
    bytes.set(this.suffixConstant, suffixAt);
    bytes.set(variable, suffixAt + this.suffixConstant.length);
    return { bytes, coefficientsAt: this.prefix.length };
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
