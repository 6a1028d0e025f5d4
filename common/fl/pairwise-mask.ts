import { createCipheriv } from 'node:crypto';
import { sha256, x25519SharedSecret } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';

const encoder = new TextEncoder();
const DOMAIN = encoder.encode('hefl/pairwise-mask/v1');
/** Draws per refill of the PRG. */
const BLOCK_WORDS = 1 << 14;

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
    for (const peer of new Set(members)) {
      if (peer === this.own.siteId) continue;
      addStreamInto(acc, this.pairKey(peer), context, t, peer > this.own.siteId ? 1 : -1);
    }
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
  addStreamInto(out, pairKey, context, t, 1);
  return out;
}

/** acc[i] = acc[i] + sign x stream[i] mod t, entries of acc kept in [0, t). */
function addStreamInto(
  acc: Float64Array,
  pairKey: Uint8Array,
  context: MaskContext,
  t: bigint,
  sign: 1 | -1,
): void {
  const modulus = checkModulus(t);
  const bits = t.toString(2).length;
  const hiMask = bits > 32 ? 2 ** (bits - 32) - 1 : 0;
  const loMask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const streamKey = sha256(
    pairKey,
    lengthPrefixed(context.section),
    u32(context.round),
    u32(context.attempt),
  );
  const cipher = createCipheriv('aes-256-ctr', streamKey, new Uint8Array(16));
  // Each draw takes the fewest whole bytes holding `bits` (5 for the 38- and 40-bit moduli):
  // little-endian, low 32 bits then the rest, masked to `bits`.
  const drawBytes = bits <= 32 ? 4 : bits <= 40 ? 5 : 8;
  const zeros = new Uint8Array(BLOCK_WORDS * drawBytes);
  let block = zeros;
  const length = acc.length;
  let p = zeros.length;
  for (let i = 0; i < length; ) {
    if (p >= block.length) {
      block = cipher.update(zeros);
      p = 0;
    }
    const lo =
      ((block[p]! | (block[p + 1]! << 8) | (block[p + 2]! << 16) | (block[p + 3]! << 24)) & loMask) >>> 0;
    const hi =
      drawBytes === 4
        ? 0
        : drawBytes === 5
          ? block[p + 4]! & hiMask
          : ((block[p + 4]! | (block[p + 5]! << 8) | (block[p + 6]! << 16) | (block[p + 7]! << 24)) &
              hiMask) >>>
            0;
    p += drawBytes;
    const r = hi * 4294967296 + lo;
    if (r >= modulus) continue; // rejection sampling: uniform over [0, t)
    let v = sign > 0 ? acc[i]! + r : acc[i]! - r;
    if (v >= modulus) v -= modulus;
    else if (v < 0) v += modulus;
    acc[i++] = v;
  }
  streamKey.fill(0);
}

/**
 * Adds `mask[offset + k]` to `ints[k]` for k < n, mod t, leaving each value in the centred
 * range [-(t-1)/2, (t-1)/2] the BGV batch encoder takes.
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
  for (let k = 0; k < n; k++) {
    let v = (Number(ints[k]!) + mask[offset + k]!) % modulus;
    if (v < 0) v += modulus;
    if (v > half) v -= modulus;
    ints[k] = BigInt(v);
  }
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
