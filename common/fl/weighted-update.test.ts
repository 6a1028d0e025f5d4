import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CiphertextAdder } from '../he/ciphertext-adder.js';
import { getProfile } from '../he/he-profile.js';
import { SiteCipher } from '../he/site-cipher.js';
import { decodeWeightedMean, encodeWeightedUpdate } from './weighted-update.js';

const PROFILE = getProfile('bgv-n2048-q54-t38/v1');

describe('weighted update with an encrypted weight slot (real SEAL)', () => {
  let site: SiteCipher;
  let adder: CiphertextAdder;
  beforeAll(async () => {
    site = await SiteCipher.generate(PROFILE, { clipRange: 0.5, maxSites: 100 });
    adder = await CiphertextAdder.create(PROFILE);
  });
  afterAll(() => {
    site.delete();
    adder.delete();
  });

  const updates = [
    { samples: 300, delta: Float32Array.from([0.1, -0.2, 0.3]) },
    { samples: 100, delta: Float32Array.from([0.3, 0.2, -0.1]) },
    { samples: 50, delta: Float32Array.from([-0.4, 0.4, 0.0]) },
  ];

  function encryptedMean(included: typeof updates) {
    const sum = adder.startSum(4);
    for (const u of included)
      sum.add(site.encrypt(encodeWeightedUpdate(u.delta, u.samples, 10_000, 0.5)).batch);
    const decrypted = site.decrypt(sum.result(), included.length);
    sum.delete();
    return decodeWeightedMean(decrypted, 0.5).mean;
  }

  function exactMean(included: typeof updates) {
    const n = included.reduce((a, u) => a + u.samples, 0);
    return [0, 1, 2].map((i) => included.reduce((a, u) => a + u.samples * u.delta[i]!, 0) / n);
  }

  it('gives the sample-weighted FedAvg mean', () => {
    const mean = encryptedMean(updates);
    for (const [i, v] of exactMean(updates).entries()) expect(mean[i]).toBeCloseTo(v, 6);
  });

  it('re-normalises over the sites that were actually summed when one drops out', () => {
    const survivors = [updates[0]!, updates[2]!];
    const mean = encryptedMean(survivors);
    for (const [i, v] of exactMean(survivors).entries()) expect(mean[i]).toBeCloseTo(v, 6);
  });

  it('refuses an aggregate with no weight', () => {
    expect(() => decodeWeightedMean(new Float64Array([0.1, 0]), 0.5)).toThrow(/no positive weight/);
  });
});
