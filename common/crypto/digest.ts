import { createHash, timingSafeEqual } from 'node:crypto';
import { HeflError } from '../errors/index.js';

/** Length in bytes of every SHA-256 digest hefl stores or compares. */
export const SHA256_BYTES = 32;

/** SHA-256 of the concatenation of `parts` (no separators: callers frame their own input). */
export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** Lower-case hex, two characters per byte. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Parses lower- or upper-case hex. Throws `invalid_argument` on odd length or a non-hex
 * character rather than silently truncating the way `Buffer.from(s, 'hex')` does.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new HeflError('invalid_argument', `not a hex string of even length (${hex.length} characters)`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Compares two byte strings in time independent of where they differ; unequal lengths are unequal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/**
 * Incremental SHA-256 for inputs that arrive in chunks (a streamed upload), so the whole
 * payload never has to sit in one buffer. `digest()` may be called once.
 */
export class Sha256Hasher {
  readonly #hash = createHash('sha256');
  #done = false;

  update(chunk: Uint8Array): this {
    if (this.#done) throw new HeflError('internal', 'Sha256Hasher.update after digest');
    this.#hash.update(chunk);
    return this;
  }

  digest(): Uint8Array {
    if (this.#done) throw new HeflError('internal', 'Sha256Hasher.digest called twice');
    this.#done = true;
    return new Uint8Array(this.#hash.digest());
  }
}
