import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { maskStream, PairwiseMasks } from './pairwise-mask.js';

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
});
