import { createCipheriv, createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { addMaskInto, maskStream, PairwiseMasks } from './pairwise-mask.js';

const T = 274877562881n; // a 38-bit prime, as in the default BGV profile
const CONTEXT = { round: 3, attempt: 1, section: 'update' };

function federation(ids: string[], jobId = 'job-1') {
  const keys = new Map(ids.map((id) => [id, nacl.box.keyPair()]));
  return ids.map(
    (id) =>
      new PairwiseMasks(
        { siteId: id, sealingSecretKey: keys.get(id)!.secretKey, jobId },
        (peer) => keys.get(peer)?.publicKey,
      ),
  );
}

describe('PairwiseMasks', () => {
  it('the masks of all members cancel mod t, and each site alone is far from zero', () => {
    const ids = ['site-c', 'site-a', 'site-b', 'site-d'];
    const sites = federation(ids);
    const vectors = sites.map((s) => s.vector(ids, CONTEXT, 1000, T));
    const t = Number(T);
    for (let i = 0; i < 1000; i++) {
      const total = vectors.reduce((a, v) => (a + v[i]!) % t, 0);
      expect(total).toBe(0);
    }
    for (const v of vectors) expect(v.filter((x) => x === 0).length).toBeLessThan(2);
  });

  it('masks differ by round, attempt, section and job', () => {
    const ids = ['a', 'b', 'c'];
    const [a] = federation(ids);
    const base = a!.vector(ids, CONTEXT, 16, T);
    for (const other of [
      { ...CONTEXT, round: 4 },
      { ...CONTEXT, attempt: 2 },
      { ...CONTEXT, section: 'metrics' },
    ]) {
      expect(Array.from(a!.vector(ids, other, 16, T))).not.toEqual(Array.from(base));
    }
    const key = new Uint8Array(32).fill(7);
    expect(Array.from(maskStream(key, CONTEXT, 8, T))).toEqual(Array.from(maskStream(key, CONTEXT, 8, T)));
  });

  it('a mask stream is uniform over [0, t) (chi-square over 64 buckets)', () => {
    const stream = maskStream(new Uint8Array(32).fill(1), CONTEXT, 64_000, T);
    const buckets = new Array<number>(64).fill(0);
    const t = Number(T);
    let outside = 0;
    for (const v of stream) {
      if (!(v >= 0 && v < t)) outside++;
      else buckets[Math.floor((v / t) * 64)]!++;
    }
    expect(outside).toBe(0);
    const expected = stream.length / 64;
    const chi2 = buckets.reduce((a, n) => a + (n - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(110); // 63 degrees of freedom: p < 1e-4 beyond ~110
  });

  it('refuses a member without a manifest key', () => {
    const [a] = federation(['a', 'b']);
    expect(() => a!.vector(['a', 'b', 'mallory'], CONTEXT, 4, T)).toThrow(/mallory/);
  });

  it('masks of many members cancel mod t across chunk boundaries, for t of 17, 38 and 51 bits', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `s${i}`);
    const sites = federation(ids);
    for (const t of [65537n, T, 2n ** 51n - 129n]) {
      const length = 10_001; // not a multiple of the internal chunk
      const vectors = sites.map((s) => s.vector(ids, CONTEXT, length, t));
      const modulus = Number(t);
      const bad: string[] = [];
      for (let i = 0; i < length; i++) {
        let total = 0n;
        for (const v of vectors) {
          const x = v[i]!;
          if (!(Number.isInteger(x) && x >= 0 && x < modulus)) bad.push(`${i}: ${x} outside [0, t)`);
          total += BigInt(x);
        }
        if (total % t !== 0n) bad.push(`${i}: masks sum to ${total % t} mod t`);
      }
      expect(bad.slice(0, 5), `t = ${t}`).toEqual([]);
    }
  });

  it('v2 stream known answer: aligned words, 4 draws per 5 words, rejection of draws >= t', () => {
    const key = new Uint8Array(32).fill(1);
    for (const t of [65537n, 2n ** 32n + 15n, T, 1099511627689n, 2n ** 51n - 129n]) {
      expect(Array.from(maskStream(key, CONTEXT, 3000, t))).toEqual(referenceStream(key, CONTEXT, 3000, t));
    }
    // Pinned values, so the format cannot drift unnoticed (both sites of a pair must agree).
    expect(Array.from(maskStream(key, CONTEXT, 4, T))).toEqual(KNOWN_ANSWER);
  });

  it('the fused 4-at-a-time path matches the reference across keystream blocks and chunks', () => {
    // 20,000 draws span three 8,192-draw keystream blocks and five 4,096-entry chunks; with
    // t = 2^32 + 15 about half the groups hold a rejected draw and go draw by draw, so the
    // groups fall at every alignment against the chunk boundaries.
    const key = new Uint8Array(32).fill(3);
    for (const t of [T, 2n ** 32n + 15n, 1099511627689n]) {
      expect(Array.from(maskStream(key, CONTEXT, 20_000, t))).toEqual(
        referenceStream(key, CONTEXT, 20_000, t),
      );
    }
  });

  it('uniform over [0, t) when half the draws are rejected (t = 2^32 + 15, chi-square)', () => {
    const t = 2n ** 32n + 15n;
    const stream = maskStream(new Uint8Array(32).fill(9), CONTEXT, 64_000, t);
    const buckets = new Array<number>(64).fill(0);
    for (const v of stream) {
      expect(v >= 0 && v < Number(t)).toBe(true);
      buckets[Math.floor((v / Number(t)) * 64)]!++;
    }
    const expected = stream.length / 64;
    expect(buckets.reduce((a, n) => a + (n - expected) ** 2 / expected, 0)).toBeLessThan(110);
  });

  it('addMaskInto adds mod t into the centred range, as BigInt arithmetic does', () => {
    for (const t of [T, 2n ** 51n - 129n]) {
      const n = 5000;
      const ints = new BigInt64Array(n + 3).fill(77n);
      const mask = new Float64Array(n + 10);
      const half = (t - 1n) / 2n;
      const bound = Number(half / 16n);
      for (let k = 0; k < n; k++) ints[k] = BigInt(Math.round((Math.random() * 2 - 1) * bound));
      ints[0] = BigInt(bound);
      ints[1] = BigInt(-bound);
      ints[2] = 0n;
      for (let k = 0; k < mask.length; k++) mask[k] = Math.floor(Math.random() * Number(t));
      mask[10] = Number(t) - 1; // ints[0] + t - 1 wraps to the negative side
      mask[11] = 0;
      const expected = Array.from(ints, (v, k) => {
        if (k >= n) return v;
        let r = (v + BigInt(mask[k + 10]!)) % t;
        if (r < 0n) r += t;
        return r > half ? r - t : r;
      });
      addMaskInto(ints, n, mask, 10, t);
      expect(Array.from(ints)).toEqual(expected);
    }
  });
});

const KNOWN_ANSWER = [50333780457, 86976280701, 254276719087, 240643364531];

/** The v2 format written out plainly (bytes, BigInt), to check the fast path against. */
function referenceStream(
  pairKey: Uint8Array,
  context: { round: number; attempt: number; section: string },
  length: number,
  t: bigint,
): number[] {
  const section = Buffer.from(context.section);
  const header = Buffer.alloc(12 + section.length);
  header.writeUInt32BE(section.length, 0);
  section.copy(header, 4);
  header.writeUInt32BE(context.round, 4 + section.length);
  header.writeUInt32BE(context.attempt, 8 + section.length);
  const key = createHash('sha256').update(pairKey).update(header).digest();
  const stream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(64 * length + 64));
  const bits = t.toString(2).length;
  const word = (i: number) => BigInt(stream.readUInt32LE(4 * i));
  const high = (x: bigint) => x & ((1n << BigInt(Math.max(0, bits - 32))) - 1n);
  const draws: bigint[] = [];
  for (let w = 0; draws.length < 4 * length; ) {
    if (bits <= 32) {
      draws.push(word(w) & ((1n << BigInt(bits)) - 1n));
      w += 1;
    } else if (bits <= 40) {
      for (let k = 0; k < 4; k++) draws.push(word(w + k) + (high(word(w + 4) >> BigInt(8 * k)) << 32n));
      w += 5;
    } else {
      draws.push(word(w) + (high(word(w + 1)) << 32n));
      w += 2;
    }
  }
  return draws
    .filter((d) => d < t)
    .slice(0, length)
    .map(Number);
}
