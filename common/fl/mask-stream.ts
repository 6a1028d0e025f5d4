import { type Cipher, createCipheriv } from 'node:crypto';
import { endianness } from 'node:os';
import { sha256 } from '../crypto/index.js';

const LITTLE_ENDIAN = endianness() === 'LE';
const TWO_32 = 4294967296;
/** Keystream bytes per AES call: a multiple of 40 bytes (whole draw groups of every layout). */
const BLOCK_BYTES = 40 * 1024;
const ZEROS = new Uint8Array(BLOCK_BYTES);
/** Accumulator entries masked together, all peers at a time (stays in cache). */
const CHUNK = 4096;
const encoder = new TextEncoder();

/** Which vector a mask covers: the same context at two sites gives the same pair mask. */
export interface MaskContext {
  readonly round: number;
  readonly attempt: number;
  /** The section name ('update', 'stats', 'metrics', 'datareport'). */
  readonly section: string;
}

/**
 * One pair's mask stream (format v2). AES-256-CTR (zero IV) under
 * sha256(pairKey, section, round, attempt) gives a keystream read as little-endian 32-bit
 * words; with `bits` the bit length of t:
 * - bits <= 32: each word is one draw, masked to `bits`;
 * - 32 < bits <= 40: each group of 5 words is 4 draws, draw k = word k + 2^32 x (byte k of
 *   word 4, masked to bits - 32);
 * - 40 < bits <= 52: each pair of words is one draw, low word + 2^32 x (high word masked).
 * Draws >= t are rejected (exact rejection sampling: every kept draw is uniform over [0, t),
 * no modulo bias, no statistical distance to state).
 *
 * Speed (issue 15): the draws are added straight into the accumulator, four at a time for
 * the 38- and 40-bit moduli, with one check per group of four for the rare rejection; a
 * group with a rejected draw goes through the draw-by-draw path, which yields the same
 * sequence. No BigInt, no `%`, no intermediate buffer of draws.
 */
export class MaskStream {
  private words: Uint32Array = new Uint32Array(0);
  /** The next unread word group. */
  private pos = 0;
  /** Draws of the group at `pos` already taken (layout 5 only: 0..3). */
  private sub = 0;
  private readonly cipher: Cipher;
  private readonly hiMask: number;
  private readonly loMask: number;
  private readonly layout: 1 | 5 | 2;

  constructor(
    pairKey: Uint8Array,
    context: MaskContext,
    private readonly modulus: number,
  ) {
    const bits = modulus.toString(2).length;
    this.layout = bits <= 32 ? 1 : bits <= 40 ? 5 : 2;
    this.loMask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    this.hiMask = bits > 32 ? 2 ** (bits - 32) - 1 : 0;
    const streamKey = sha256(
      pairKey,
      lengthPrefixed(context.section),
      u32(context.round),
      u32(context.attempt),
    );
    this.cipher = createCipheriv('aes-256-ctr', streamKey, new Uint8Array(16));
    streamKey.fill(0);
  }

  /** acc[i] += sign x draw for i in [from, to), one fresh draw each, not reduced mod t. */
  addInto(acc: Float64Array, from: number, to: number, sign: 1 | -1): void {
    let i = from;
    while (i < to) {
      if (this.layout === 5 && this.sub === 0) {
        const done = this.addGroupsInto(acc, i, to, sign);
        if (done !== i) {
          i = done;
          continue;
        }
      }
      acc[i++]! += sign * this.next();
    }
  }

  /**
   * Layout 5 fast path: whole groups of 4 accepted draws added in place. Stops (returning
   * the next index) at the end of the block, fewer than 4 entries left, or a group holding
   * a draw >= t (left for `next`).
   */
  private addGroupsInto(acc: Float64Array, from: number, to: number, sign: 1 | -1): number {
    if (this.pos === this.words.length) this.refill();
    const words = this.words;
    const { modulus, hiMask } = this;
    let p = this.pos;
    let i = from;
    const groups = Math.min((to - i) >>> 2, ((words.length - p) / 5) | 0);
    for (let g = 0; g < groups; g++) {
      const h = words[p + 4]!;
      const r0 = words[p]! + (h & hiMask) * TWO_32;
      const r1 = words[p + 1]! + ((h >>> 8) & hiMask) * TWO_32;
      const r2 = words[p + 2]! + ((h >>> 16) & hiMask) * TWO_32;
      const r3 = words[p + 3]! + ((h >>> 24) & hiMask) * TWO_32;
      if (r0 >= modulus || r1 >= modulus || r2 >= modulus || r3 >= modulus) break;
      acc[i]! += sign * r0;
      acc[i + 1]! += sign * r1;
      acc[i + 2]! += sign * r2;
      acc[i + 3]! += sign * r3;
      i += 4;
      p += 5;
    }
    this.pos = p;
    return i;
  }

  /** The next accepted draw, one at a time (the reference path every layout can take). */
  private next(): number {
    for (;;) {
      if (this.pos === this.words.length) this.refill();
      const words = this.words;
      const p = this.pos;
      let r: number;
      if (this.layout === 5) {
        const k = this.sub;
        r = words[p + k]! + ((words[p + 4]! >>> (8 * k)) & this.hiMask) * TWO_32;
        if (k === 3) {
          this.sub = 0;
          this.pos = p + 5;
        } else this.sub = k + 1;
      } else if (this.layout === 2) {
        r = words[p]! + (words[p + 1]! & this.hiMask) * TWO_32;
        this.pos = p + 2;
      } else {
        r = (words[p]! & this.loMask) >>> 0;
        this.pos = p + 1;
      }
      if (r < this.modulus) return r;
    }
  }

  private refill(): void {
    this.words = wordsOf(this.cipher.update(ZEROS));
    this.pos = 0;
    this.sub = 0;
  }
}

/**
 * acc[i] = acc[i] + sum over peers of sign x stream[i] mod t, entries of acc in [0, t)
 * before and after. Walks acc in chunks, adding every peer's stream to a chunk while it is
 * in cache, and reduces mod t once per chunk (or every few peers when t is so large that
 * the exact signed sum could pass 2^53).
 */
export function addStreamsInto(
  acc: Float64Array,
  peers: readonly { readonly pairKey: Uint8Array; readonly sign: 1 | -1 }[],
  context: MaskContext,
  modulus: number,
): void {
  const streams = peers.map((p) => ({ stream: new MaskStream(p.pairKey, context, modulus), sign: p.sign }));
  // |acc entry| stays below (perReduction + 1) x t <= 2^53 between reductions.
  const perReduction = Math.floor(2 ** 53 / modulus) - 1;
  const length = acc.length;
  for (let from = 0; from < length; from += CHUNK) {
    const to = Math.min(length, from + CHUNK);
    let pending = 0;
    for (const { stream, sign } of streams) {
      stream.addInto(acc, from, to, sign);
      if (++pending === perReduction) {
        reduce(acc, from, to, modulus);
        pending = 0;
      }
    }
    if (pending > 0) reduce(acc, from, to, modulus);
  }
}

function reduce(acc: Float64Array, from: number, to: number, modulus: number): void {
  for (let i = from; i < to; i++) {
    const v = acc[i]!;
    if (v >= modulus || v < 0) acc[i] = modT(v, modulus);
  }
}

/**
 * v mod m in [0, m) for an integer |v| < 2^53 and m < 2^52, without the slow floating-point
 * `%`: q x m and v - q x m are exact, and the rounded quotient is off by at most one.
 */
export function modT(v: number, m: number): number {
  let r = v - Math.floor(v / m) * m;
  if (r < 0) r += m;
  else if (r >= m) r -= m;
  return r;
}

/** A keystream block as little-endian 32-bit words. */
function wordsOf(block: Uint8Array): Uint32Array {
  const aligned = block.byteOffset % 4 === 0 ? block : block.slice();
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      words[i] = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
    }
  }
  return words;
}

/** `text` as UTF-8 after its byte length (u32, big-endian): unambiguous key-derivation input. */
export function lengthPrefixed(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
