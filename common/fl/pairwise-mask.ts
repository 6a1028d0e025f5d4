import { endianness } from 'node:os';
import { sha256, x25519SharedSecret } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { addStreamsInto, lengthPrefixed, type MaskContext, modT } from './mask-stream.js';

export type { MaskContext } from './mask-stream.js';

const encoder = new TextEncoder();
const DOMAIN = encoder.encode('hefl/pairwise-mask/v2');
const LITTLE_ENDIAN = endianness() === 'LE';
const TWO_32 = 4294967296;

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
    addStreamsInto(acc, peers, context, checkModulus(t));
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
  addStreamsInto(out, [{ pairKey, sign: 1 }], context, checkModulus(t));
  return out;
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
  const v = modT(value, modulus);
  return v > half ? v - modulus : v;
}

function checkModulus(t: bigint): number {
  if (t < 3n || t >= 2n ** 52n)
    throw new HeflError('invalid_argument', 'pairwise masks need a plain modulus between 3 and 2^52');
  return Number(t);
}
