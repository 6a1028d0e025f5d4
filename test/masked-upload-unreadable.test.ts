import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairwiseMasks } from '../common/fl/pairwise-mask.js';
import { CiphertextAdder } from '../common/he/ciphertext-adder.js';
import type { CiphertextBatch } from '../common/he/ciphertext-batch.js';
import { getProfile } from '../common/he/he-profile.js';
import { SiteCipher } from '../common/he/site-cipher.js';
import { createSeededRandom } from '../common/random/seeded-random.js';

// Threat: site-a colludes with the coordinator. The harness holds the job's HE secret key
// (every site has it) and every upload the coordinator received, and tries to read site-b's.
const PROFILE = getProfile('bgv-n2048-q54-t38/v1');
const IDS = ['site-a', 'site-b', 'site-c', 'site-d'];
const LENGTH = 100_000;
const CONTEXT = { round: 1, attempt: 0, section: 'update' };

function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function chiSquare(values: ArrayLike<number>, t: number, buckets: number): number {
  const counts = new Array<number>(buckets).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = ((values[i]! % t) + t) % t;
    counts[Math.floor((v / t) * buckets)]!++;
  }
  const expected = values.length / buckets;
  return counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
}

describe('pairwise masks under HE: a site colluding with the coordinator cannot read another site (real SEAL)', () => {
  let adder: CiphertextAdder;
  let cipher: SiteCipher;
  const updates = IDS.map((_, s) => {
    const random = createSeededRandom(500 + s);
    // a structured update (a ramp plus noise), so a leak would correlate strongly
    return Float64Array.from(
      { length: LENGTH },
      (_, i) => 0.8 * Math.sin(i / 50) + 0.1 * (random.next() - 0.5),
    );
  });
  const keys = new Map(
    IDS.map((id, s) => [id, nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(s + 1))]),
  );
  const masks = IDS.map(
    (id) =>
      new PairwiseMasks(
        { siteId: id, sealingSecretKey: keys.get(id)!.secretKey, jobId: 'job-x' },
        (peer) => keys.get(peer)?.publicKey,
      ),
  );

  beforeAll(async () => {
    adder = await CiphertextAdder.create(PROFILE);
    cipher = await SiteCipher.generate(PROFILE, { clipRange: 1, maxSites: 10 });
  });
  afterAll(() => {
    adder?.delete();
    cipher?.delete();
  });

  function uploads(masked: boolean): CiphertextBatch[] {
    const t = cipher.he.plainModulus;
    return updates.map(
      (u, s) => cipher.encrypt(u, masked ? masks[s]!.vector(IDS, CONTEXT, LENGTH, t) : undefined).batch,
    );
  }

  function sumOf(batches: CiphertextBatch[]): CiphertextBatch {
    const sum = adder.startSum(LENGTH);
    for (const b of batches) sum.add(b);
    const result = sum.result();
    sum.delete();
    return result;
  }

  it("site-b's decrypted upload is uniform mod t and uncorrelated with its update; the aggregate is exact", () => {
    const received = uploads(true);
    const t = Number(cipher.he.plainModulus);
    // The colluders decrypt site-b's individual upload with the job key...
    const single = sumOf([received[1]!]);
    const decrypted = Array.from(cipher.decryptIntegers(single, 1), Number);
    // ...and remove what site-a knows (its own pair mask with site-b, which b subtracted):
    // what is left is still masked by site-c and site-d.
    const known = masks[0]!.vector(['site-a', 'site-b'], CONTEXT, LENGTH, cipher.he.plainModulus);
    const read = decrypted.map((v, i) => (((v + known[i]!) % t) + t) % t);
    for (const view of [decrypted, read]) {
      expect(chiSquare(view, t, 32)).toBeLessThan(62); // 31 degrees of freedom, p ~ 1e-3
      const centred = view.map((v) => (v > t / 2 ? v - t : v));
      expect(Math.abs(correlation(view, updates[1]!))).toBeLessThan(0.01);
      expect(Math.abs(correlation(centred, updates[1]!))).toBeLessThan(0.01);
    }

    // The aggregate decrypts to the sum of the quantised updates, as without masks.
    const total = cipher.decrypt(sumOf(received), IDS.length);
    const bound = cipher.quantizer!.errorBound(IDS.length);
    for (let i = 0; i < LENGTH; i++) {
      const expected = updates.reduce((a, u) => a + u[i]!, 0);
      expect(Math.abs(total[i]! - expected)).toBeLessThanOrEqual(bound + 1e-12);
    }
  });

  it('control: without masks the same harness reads site-b exactly (what the masks prevent)', () => {
    const received = uploads(false);
    const read = cipher.decrypt(sumOf([received[1]!]), 1);
    expect(correlation(read, updates[1]!)).toBeGreaterThan(0.999);
  });
});
