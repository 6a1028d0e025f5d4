import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { CiphertextAdder } from './ciphertext-adder.js';
import type { CiphertextBatch } from './ciphertext-batch.js';
import { getProfile } from './he-profile.js';
import { SiteCipher } from './site-cipher.js';

const DEFAULT = getProfile('bgv-n2048-q54-t38/v1');
const HEADROOM = getProfile('bgv-n4096-q60-t40/v1');

function withCiphertext(batch: CiphertextBatch, index: number, bytes: Uint8Array): CiphertextBatch {
  const ciphertexts = batch.ciphertexts.slice();
  ciphertexts[index] = bytes;
  return { ...batch, ciphertexts };
}

describe('malformed ciphertexts give typed errors and leave the sum untouched', () => {
  let adder: CiphertextAdder;
  let site: SiteCipher;
  let good: CiphertextBatch;
  const values = Float64Array.from({ length: 3000 }, (_, i) => Math.cos(i) / 2);

  beforeAll(async () => {
    adder = await CiphertextAdder.create(DEFAULT);
    site = await SiteCipher.generate(DEFAULT, { clipRange: 1, maxSites: 10 });
    good = site.encrypt(values).batch;
  });
  afterAll(() => {
    site.delete();
    adder.delete();
  });

  const cases: [string, (b: CiphertextBatch) => CiphertextBatch, string][] = [
    ['truncated', (b) => withCiphertext(b, 1, b.ciphertexts[1]!.subarray(0, 100)), 'malformed_ciphertext'],
    ['empty', (b) => withCiphertext(b, 0, new Uint8Array(0)), 'malformed_ciphertext'],
    [
      'oversized',
      (b) => withCiphertext(b, 0, new Uint8Array([...b.ciphertexts[0]!, 0])),
      'malformed_ciphertext',
    ],
    [
      'random bytes',
      (b) => withCiphertext(b, 0, new Uint8Array(b.ciphertexts[0]!.length).fill(0xff)),
      'malformed_ciphertext',
    ],
    ['a missing ciphertext', (b) => ({ ...b, ciphertexts: b.ciphertexts.slice(1) }), 'malformed_ciphertext'],
    [
      'an extra ciphertext',
      (b) => ({ ...b, ciphertexts: [...b.ciphertexts, b.ciphertexts[0]!] }),
      'malformed_ciphertext',
    ],
    ['another profile id', (b) => ({ ...b, profileId: HEADROOM.id }), 'profile_mismatch'],
    ['the wrong form', (b) => ({ ...b, form: 'full' }), 'malformed_ciphertext'],
    ['the wrong value count', (b) => ({ ...b, valueCount: 2999 }), 'malformed_ciphertext'],
  ];

  it.each(cases)('%s', (_name, corrupt, code) => {
    const sum = adder.startSum(3000);
    sum.add(good);
    const before = sum.result();
    let caught: unknown;
    try {
      sum.add(corrupt(good));
    } catch (error) {
      caught = error;
    }
    expect(HeflError.is(caught, code as never)).toBe(true);
    expect(sum.contributions).toBe(1);
    expect(sum.result().ciphertexts).toEqual(before.ciphertexts);
    sum.delete();
  });

  it('a flipped bit in a seed still decodes but never yields the right sum silently', () => {
    // A corrupted seed is a valid-looking ciphertext; integrity of the bytes is the
    // signature's job (signed envelope digest), which the coordinator checks first.
    const ct = good.ciphertexts[0]!.slice();
    ct[ct.length - 1] = ct[ct.length - 1]! ^ 1;
    const sum = adder.startSum(3000);
    sum.add(withCiphertext(good, 0, ct));
    const decoded = site.decrypt(sum.result(), 1);
    expect(Math.abs(decoded[0]! - values[0]!)).toBeGreaterThan(1e-3);
    sum.delete();
  });

  it('ciphertexts of another parameter set are refused as a profile mismatch', async () => {
    const other = await SiteCipher.generate(HEADROOM, { clipRange: 1, maxSites: 10 });
    const foreign = other.encrypt(values).batch;
    const sum = adder.startSum(3000);
    expect(() => sum.add({ ...foreign, profileId: DEFAULT.id })).toThrow(HeflError);
    expect(() => site.decrypt({ ...foreign, profileId: DEFAULT.id, form: 'full' }, 1)).toThrow(HeflError);
    sum.delete();
    other.delete();
  });
});
