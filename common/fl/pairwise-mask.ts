import { type Cipher, createCipheriv } from 'node:crypto';
import { endianness } from 'node:os';
import { sha256, x25519SharedSecret } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';

const encoder = new TextEncoder();
const DOMAIN = encoder.encode('hefl/pairwise-mask/v2');
const LITTLE_ENDIAN = endianness() === 'LE';

/** Which vector a mask covers: the same context at two sites gives the same pair mask. */
export interface MaskContext {
  readonly round: number;
  readonly attempt: number;
  /** The section name ('update', 'stats', 'metrics', 'datareport'). */
  readonly section: string;
}

/**
 * Pairwise additive masks (as in SecAgg) under the HE encryption. Every pair of sites of a
 * job shares a secret derived by X25519 from keys in the signed manifest (never through the
 * coordinator), bound to the job id and both site ids. For each (round, attempt, section)
 * AES-256-CTR expands it into a mask uniform mod t (rejection sampling, no modulo bias).
 * Site i adds +m_ij for peers j > i and -m_ij for j < i (site ids in code-unit order), so
 * the masks cancel in the sum over the members mod t and the decrypted aggregate is
 * unchanged; one decrypted upload alone is uniform mod t to anyone who lacks a pair secret
 * of that site with a member it masked with.
 *
 * Holds the site's X25519 secret key only to derive pair secrets; never logs them.
 */
export class PairwiseMasks {
  private readonly pairKeys = new Map<string, Uint8Array>();

  constructor(
    private readonly own: { siteId: string; sealingSecretKey: Uint8Array; jobId: string },
    /** The peer's X25519 public key from this site's own copy of the signed manifest. */
    private readonly peerKey: (siteId: string) => Uint8Array | undefined,
  ) {}

  get siteId(): string {
    return this.own.siteId;
  }

  /**
   * The sum of this site's signed masks with every other member, mod t, each entry in [0, t).
   * `members` is the set the round expects (this site included); every other member must be
   * a current site of the manifest.
   */
  vector(members: readonly string[], context: MaskContext, length: number, t: bigint): Float64Array {
    const acc = new Float64Array(length);
    const peers = [...new Set(members)]
      .filter((peer) => peer !== this.own.siteId)
      .map((peer) => ({
        pairKey: this.pairKey(peer),
        sign: peer > this.own.siteId ? (1 as const) : (-1 as const),
      }));
    addStreamsInto(acc, peers, context, t);
    return acc;
  }

  /**
   * The dropout correction: minus the sum of this site's signed masks with each of
   * `dropped`, mod t, entries in [0, t). Added to the sum of the survivors' uploads it
   * cancels exactly the masks that paired a survivor with a dropped site; what it reveals
   * is that sum of masks and nothing else (the masks among survivors stay in).
   */
  correction(dropped: readonly string[], context: MaskContext, length: number, t: bigint): Float64Array {
    const modulus = checkModulus(t);
    const out = this.vector([this.own.siteId, ...dropped], context, length, t);
    for (let i = 0; i < length; i++) if (out[i]! !== 0) out[i] = modulus - out[i]!;
    return out;
  }

  private pairKey(peer: string): Uint8Array {
    const known = this.pairKeys.get(peer);
    if (known) return known;
    const publicKey = this.peerKey(peer);
    if (!publicKey)
      throw new HeflError(
        'failed_precondition',
        `no manifest sealing key for site ${peer}: cannot mask with it`,
      );
    const shared = x25519SharedSecret(this.own.sealingSecretKey, publicKey);
    const [a, b] = [this.own.siteId, peer].sort();
    const key = sha256(
      DOMAIN,
      lengthPrefixed(this.own.jobId),
      lengthPrefixed(a!),
      lengthPrefixed(b!),
      shared,
    );
    shared.fill(0);
    this.pairKeys.set(peer, key);
    return key;
  }
}

/**
 * One pair's mask for one context: `length` values uniform in [0, t). Deterministic in
 * (pairKey, context), so both sites of the pair compute the same vector.
 */
export function maskStream(
  pairKey: Uint8Array,
  context: MaskContext,
  length: number,
  t: bigint,
): Float64Array {
  const out = new Float64Array(length);
  addStreamsInto(out, [{ pairKey, sign: 1 }], context, t);
  return out;
}

/**
 * The v2 stream format. AES-256-CTR (zero IV) under sha256(pairKey, section, round, attempt)
 * gives a keystream read as little-endian 32-bit words; with `bits` the bit length of t:
 * - bits <= 32: each word is one draw, masked to `bits`;
 * - 32 < bits <= 40: each group of 5 words is 4 draws, draw k = word k + 2^32 x (byte k of
 *   word 4, masked to bits - 32);
 * - 40 < bits <= 52: each pair of words is one draw, low word + 2^32 x (high word masked).
 * Draws >= t are rejected (rejection sampling: uniform over [0, t), no modulo bias).
 */
class MaskStream {
  /** Drawn values in [0, t) not used yet: draws[next..count). */
  private readonly draws: Float64Array;
  private count = 0;
  private next = 0;
  private readonly cipher: Cipher;
  private readonly hiMask: number;
  private readonly loMask: number;
  private readonly layout: 1 | 5 | 2;

  constructor(
    pairKey: Uint8Array,
    context: MaskContext,
    private readonly modulus: number,
    /** The bit length of t. */
    bits: number,
  ) {
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
    this.draws = new Float64Array(BLOCK_BYTES / 4);
  }

  /** acc[i] += sign x draw for i in [from, to), one fresh draw each, not reduced mod t. */
  addInto(acc: Float64Array, from: number, to: number, sign: 1 | -1): void {
    let i = from;
    while (i < to) {
      if (this.next === this.count) this.refill();
      const draws = this.draws;
      let j = this.next;
      const end = Math.min(to, i + this.count - j);
      if (sign > 0) for (; i < end; i++) acc[i]! += draws[j++]!;
      else for (; i < end; i++) acc[i]! -= draws[j++]!;
      this.next = j;
    }
  }

  private refill(): void {
    const words = wordsOf(this.cipher.update(ZEROS));
    const { draws, modulus, hiMask, loMask } = this;
    let c = 0;
    if (this.layout === 5) {
      for (let g = 0; g < words.length; g += 5) {
        const h = words[g + 4]!;
        let r = words[g]! + (h & hiMask) * TWO_32;
        if (r < modulus) draws[c++] = r;
        r = words[g + 1]! + ((h >>> 8) & hiMask) * TWO_32;
        if (r < modulus) draws[c++] = r;
        r = words[g + 2]! + ((h >>> 16) & hiMask) * TWO_32;
        if (r < modulus) draws[c++] = r;
        r = words[g + 3]! + ((h >>> 24) & hiMask) * TWO_32;
        if (r < modulus) draws[c++] = r;
      }
    } else if (this.layout === 2) {
      for (let g = 0; g < words.length; g += 2) {
        const r = words[g]! + (words[g + 1]! & hiMask) * TWO_32;
        if (r < modulus) draws[c++] = r;
      }
    } else {
      for (let g = 0; g < words.length; g++) {
        const r = (words[g]! & loMask) >>> 0;
        if (r < modulus) draws[c++] = r;
      }
    }
    this.count = c;
    this.next = 0;
  }
}

/** Keystream bytes per AES call: a multiple of 40 bytes (whole draw groups of every layout). */
const BLOCK_BYTES = 40 * 1024;
const ZEROS = new Uint8Array(BLOCK_BYTES);
const TWO_32 = 4294967296;
/** Accumulator entries masked together, all peers at a time (stays in cache). */
const CHUNK = 4096;

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

/**
 * acc[i] = acc[i] + sum over peers of sign x stream[i] mod t, entries of acc in [0, t)
 * before and after. Walks acc in chunks, adding every peer's stream to a chunk while it is
 * in cache, and reduces mod t once per chunk (or every few peers when t is so large that
 * the exact signed sum could pass 2^53).
 */
function addStreamsInto(
  acc: Float64Array,
  peers: readonly { readonly pairKey: Uint8Array; readonly sign: 1 | -1 }[],
  context: MaskContext,
  t: bigint,
): void {
  const modulus = checkModulus(t);
  const bits = t.toString(2).length;
  const streams = peers.map((p) => ({
    stream: new MaskStream(p.pairKey, context, modulus, bits),
    sign: p.sign,
  }));
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
    if (v >= modulus || v < 0) acc[i] = mod(v, modulus);
  }
}

/** v mod m in [0, m) for an integer |v| < 2^53, without the slow floating-point `%`. */
function mod(v: number, m: number): number {
  // q x m and v - q x m are exact; the rounded quotient is off by at most one.
  let r = v - Math.floor(v / m) * m;
  if (r < 0) r += m;
  else if (r >= m) r -= m;
  return r;
}

/**
 * Adds `mask[offset + k]` to `ints[k]` for k < n, mod t, leaving each value in the centred
 * range [-(t-1)/2, (t-1)/2] the BGV batch encoder takes. Works on the two 32-bit halves of
 * each 64-bit integer as Numbers (values are below 2^52): no BigInt per value.
 */
export function addMaskInto(
  ints: BigInt64Array,
  n: number,
  mask: Float64Array,
  offset: number,
  t: bigint,
): void {
  const modulus = checkModulus(t);
  const half = (modulus - 1) / 2;
  if (!LITTLE_ENDIAN) {
    for (let k = 0; k < n; k++)
      ints[k] = BigInt(centred(Number(ints[k]!) + mask[offset + k]!, modulus, half));
    return;
  }
  const halves = new Int32Array(ints.buffer, ints.byteOffset, 2 * n);
  for (let k = 0; k < n; k++) {
    const value = halves[2 * k + 1]! * TWO_32 + (halves[2 * k]! >>> 0);
    const v = centred(value + mask[offset + k]!, modulus, half);
    const hi = Math.floor(v / TWO_32);
    halves[2 * k] = v - hi * TWO_32; // stored mod 2^32
    halves[2 * k + 1] = hi;
  }
}

function centred(value: number, modulus: number, half: number): number {
  const v = mod(value, modulus);
  return v > half ? v - modulus : v;
}

function checkModulus(t: bigint): number {
  if (t < 3n || t >= 2n ** 52n)
    throw new HeflError('invalid_argument', 'pairwise masks need a plain modulus between 3 and 2^52');
  return Number(t);
}

function lengthPrefixed(text: string): Uint8Array {
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
