import { endianness } from 'node:os';
import { HeflError } from '../errors/index.js';

if (endianness() !== 'LE') {
  // SEAL serializes little endian and the packer reads words through typed arrays.
  throw new HeflError('internal', 'hefl’s ciphertext packer needs a little-endian machine');
}

/** MASK[n] = 2^n - 1 as an unsigned 32-bit value, n = 0..32. */
const MASK = Array.from({ length: 33 }, (_, n) => (n === 32 ? 0xffffffff : 2 ** n - 1));

/**
 * Packs little-endian uint64 polynomial coefficients (as SEAL serializes them) into a
 * dense bit stream of `bits` bits each. Every coefficient of a ciphertext modulo a
 * `bits`-bit prime fits, so this is lossless: a 54-bit modulus costs 6.75 bytes per
 * coefficient instead of 8. `modulus` guards the input: a coefficient >= modulus means
 * the bytes are not a ciphertext under these parameters.
 */
export function packCoefficients(
  source: Uint8Array,
  offset: number,
  count: number,
  bits: number,
  modulus: bigint,
): Uint8Array {
  checkWidth(bits);
  const words = new Uint32Array(source.slice(offset, offset + count * 8).buffer);
  const byteLength = packedLength(count, bits);
  const out = new Uint32Array(Math.ceil(byteLength / 4));
  const highBits = bits - 32;
  const [modHi, modLo] = splitModulus(modulus);
  let acc = 0;
  let accBits = 0;
  let pos = 0;
  const put = (value: number, n: number): void => {
    if (accBits + n < 32) {
      acc = (acc | (value << accBits)) >>> 0;
      accBits += n;
      return;
    }
    out[pos++] = accBits === 0 ? value : (acc | (value << accBits)) >>> 0;
    const used = 32 - accBits;
    acc = used === 32 || used === n ? 0 : value >>> used;
    accBits = n - used;
  };
  for (let i = 0; i < count; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if (hi > modHi || (hi === modHi && lo >= modLo)) {
      throw new HeflError(
        'malformed_ciphertext',
        `coefficient ${i} is not reduced modulo the profile's prime`,
      );
    }
    put(lo, 32);
    put(hi, highBits);
  }
  if (accBits > 0) out[pos] = acc;
  return new Uint8Array(out.buffer, 0, byteLength);
}

/**
 * Inverse of {@link packCoefficients}: writes `count` uint64 coefficients into `target` at
 * `offset`. Refuses a coefficient >= modulus and non-zero padding bits, so two different
 * byte strings never decode to the same ciphertext.
 */
export function unpackCoefficients(
  packed: Uint8Array,
  count: number,
  bits: number,
  modulus: bigint,
  target: Uint8Array,
  offset: number,
): void {
  checkWidth(bits);
  const byteLength = packedLength(count, bits);
  if (packed.length !== byteLength) {
    throw new HeflError(
      'malformed_ciphertext',
      `packed polynomial has ${packed.length} bytes, expected ${byteLength}`,
    );
  }
  const padded = new Uint8Array(Math.ceil(byteLength / 4) * 4);
  padded.set(packed);
  const words = new Uint32Array(padded.buffer);
  const out = new Uint32Array(count * 2);
  const highBits = bits - 32;
  const [modHi, modLo] = splitModulus(modulus);
  let acc = 0;
  let accBits = 0;
  let pos = 0;
  const take = (n: number): number => {
    if (accBits >= n) {
      const value = (acc & MASK[n]!) >>> 0;
      acc = n === 32 ? 0 : acc >>> n;
      accBits -= n;
      return value;
    }
    const word = words[pos++]!;
    const value = ((accBits === 0 ? word : acc | (word << accBits)) & MASK[n]!) >>> 0;
    const used = n - accBits;
    acc = used === 32 ? 0 : word >>> used;
    accBits = 32 - used;
    return value;
  };
  for (let i = 0; i < count; i++) {
    const lo = take(32);
    const hi = take(highBits);
    if (hi > modHi || (hi === modHi && lo >= modLo)) {
      throw new HeflError(
        'malformed_ciphertext',
        `coefficient ${i} is not reduced modulo the profile's prime`,
      );
    }
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  }
  if (acc !== 0 || pos < words.length) {
    const rest = words.subarray(pos);
    if (acc !== 0 || rest.some((w) => w !== 0)) {
      throw new HeflError('malformed_ciphertext', 'non-zero padding bits after the last coefficient');
    }
  }
  target.set(new Uint8Array(out.buffer), offset);
}

export function packedLength(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

function checkWidth(bits: number): void {
  if (!Number.isInteger(bits) || bits <= 32 || bits > 61) {
    throw new HeflError('internal', `coefficient width ${bits} is outside the supported 33..61 bits`);
  }
}

function splitModulus(modulus: bigint): [number, number] {
  return [Number(modulus >> 32n), Number(modulus & 0xffffffffn)];
}
