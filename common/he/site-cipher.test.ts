import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededRandom } from '../random/seeded-random.js';
import { type CiphertextAdder as Adder, CiphertextAdder } from './ciphertext-adder.js';
import { getProfile } from './he-profile.js';
import { SiteCipher } from './site-cipher.js';

const DEFAULT = getProfile('bgv-n2048-q54-t38/v1');

function randomVector(length: number, range: number, seed: number): Float64Array {
  const random = createSeededRandom(seed);
  // a few values beyond the clip range, to exercise clipping
  return Float64Array.from({ length }, () => (random.next() * 2 - 1) * range * 1.05);
}

describe('SiteCipher + CiphertextAdder (default profile, real SEAL)', () => {
  let adder: Adder;
  beforeAll(async () => {
    adder = await CiphertextAdder.create(DEFAULT);
  });
  afterAll(() => adder.delete());

  it.each([
    { sites: 2, length: 1, seed: 1 },
    { sites: 7, length: 2049, seed: 2 },
    { sites: 10, length: 5000, seed: 3 },
    { sites: 113, length: 300, seed: 4 },
    { sites: 1000, length: 40, seed: 5 },
  ])('sum of $sites sites x $length values is the exact integer sum of the quantised inputs', async (c) => {
    const clipRange = 0.5;
    const site = await SiteCipher.generate(DEFAULT, { clipRange, maxSites: 1000 });
    const quantizer = site.quantizer!;
    const sum = adder.startSum(c.length);
    const exactInts = new Array<bigint>(c.length).fill(0n);
    const floatSum = new Float64Array(c.length);
    const q = new BigInt64Array(c.length);
    for (let s = 0; s < c.sites; s++) {
      const values = randomVector(c.length, clipRange, c.seed * 10_000 + s);
      quantizer.quantizeInto(values, 0, c.length, q);
      values.forEach((v, i) => {
        exactInts[i] = exactInts[i]! + q[i]!;
        floatSum[i] = floatSum[i]! + Math.max(-clipRange, Math.min(clipRange, v));
      });
      sum.add(site.encrypt(values).batch);
    }
    const result = sum.result();
    sum.delete();

    expect(Array.from(site.decryptIntegers(result, c.sites))).toEqual(exactInts);
    const decoded = site.decrypt(result, c.sites);
    const bound = quantizer.errorBound(c.sites);
    let worst = 0;
    decoded.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - floatSum[i]!));
    });
    expect(worst).toBeLessThanOrEqual(bound);
    site.delete();
  });

  it('at 10 sites the default profile errs by at most 1e-6 of the clip range', async () => {
    const site = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 1000 });
    expect(site.quantizer!.errorBound(10)).toBeLessThanOrEqual(1e-6);
    const sum = adder.startSum(4096);
    const vectors = Array.from({ length: 10 }, (_, s) => randomVector(4096, 1, 77 + s));
    for (const v of vectors) sum.add(site.encrypt(v).batch);
    const decoded = site.decrypt(sum.result(), 10);
    let worst = 0;
    decoded.forEach((v, i) => {
      const exact = vectors.reduce((acc, vec) => acc + Math.max(-1, Math.min(1, vec[i]!)), 0);
      worst = Math.max(worst, Math.abs(v - exact));
    });
    expect(worst).toBeLessThanOrEqual(1e-6);
    sum.delete();
    site.delete();
  });

  it('a second site with the shared secret key decrypts what the first encrypted', async () => {
    const dealer = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 10 });
    const other = await SiteCipher.fromSecretKey(DEFAULT, dealer.exportSecretKey(), {
      clipRange: 1,
      maxSites: 10,
    });
    const sum = adder.startSum(3);
    sum.add(dealer.encrypt([0.25, -0.5, 0.125]).batch);
    sum.add(other.encrypt([0.25, 0.5, 0.125]).batch);
    const decoded = other.decrypt(sum.result(), 2);
    expect(Array.from(decoded).map((v) => Number(v.toFixed(6)))).toEqual([0.5, 0, 0.25]);
    sum.delete();
    dealer.delete();
    other.delete();
  });

  it('a site with a different key cannot read the sum', async () => {
    const a = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 10 });
    const stranger = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 10 });
    const sum = adder.startSum(64);
    const values = Float64Array.from({ length: 64 }, (_, i) => i / 100);
    sum.add(a.encrypt(values).batch);
    const wrong = stranger.decrypt(sum.result(), 1);
    const close = wrong.filter((v, i) => Math.abs(v - values[i]!) < 1e-3).length;
    expect(close).toBeLessThan(3);
    sum.delete();
    a.delete();
    stranger.delete();
  });

  it('refuses a sum of more contributions than the quantizer was sized for', async () => {
    const site = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 2 });
    const sum = adder.startSum(2);
    for (let i = 0; i < 3; i++) sum.add(site.encrypt([1, -1]).batch);
    expect(() => site.decrypt(sum.result(), 3)).toThrow(/outside 1..2/);
    sum.delete();
    site.delete();
  });

  it('refuses non-finite input instead of clipping it', async () => {
    const site = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 2 });
    expect(() => site.encrypt([0, Number.NaN])).toThrow(/index 1 is not finite/);
    site.delete();
  });
});

describe('other profiles', () => {
  it.each(['bgv-n4096-q60-t40/v1', 'ckks-n8192-nvflare/v1'])('%s sums correctly', async (id) => {
    const profile = getProfile(id);
    const adder = await CiphertextAdder.create(profile);
    const site = await SiteCipher.generate(profile, { clipRange: 1, maxSites: 100 });
    const a = randomVector(5000, 1, 11);
    const b = randomVector(5000, 1, 12);
    const sum = adder.startSum(5000);
    sum.add(site.encrypt(a).batch);
    sum.add(site.encrypt(b).batch);
    const decoded = site.decrypt(sum.result(), 2);
    const tolerance = profile.scheme === 'ckks' ? 1e-5 : site.quantizer!.errorBound(2);
    decoded.forEach((v, i) => {
      const clip = (x: number) => (profile.scheme === 'ckks' ? x : Math.max(-1, Math.min(1, x)));
      expect(Math.abs(v - clip(a[i]!) - clip(b[i]!))).toBeLessThanOrEqual(tolerance);
    });
    sum.delete();
    site.delete();
    adder.delete();
  });
});
