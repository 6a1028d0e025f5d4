import { performance } from 'node:perf_hooks';
import { CiphertextAdder } from '../../common/he/ciphertext-adder.js';
import { batchByteLength } from '../../common/he/ciphertext-batch.js';
import type { HeProfile } from '../../common/he/he-profile.js';
import { SiteCipher } from '../../common/he/site-cipher.js';

/** Measured cost of one update of `params` values under one profile (or plaintext float32). */
export interface CipherCost {
  readonly profile: string;
  readonly params: number;
  /** Bytes one site uploads (a fresh ciphertext batch; float32 for plaintext). */
  readonly uploadBytes: number;
  /** Bytes each site downloads (the summed batch). */
  readonly downloadBytes: number;
  readonly encryptMs: number;
  /** Coordinator time per added update, measured over `adds` additions. */
  readonly addMsPerSite: number;
  readonly decryptMs: number;
  /** Time to add k updates, for each k in the `sites` list given. */
  readonly aggregateMsBySites: Record<string, number>;
}

/**
 * Encrypts `distinct` random vectors (values in [-1, 1]) and sums them round-robin as if
 * each of k sites sent one, for every k in `sites`; adding the same ciphertext again costs
 * the same as adding a new one. `profile` undefined measures plaintext float32: the upload is
 * the raw bytes and the sum a float loop. Every SEAL object is freed before returning.
 */
export async function measureCipherCost(
  profile: HeProfile | undefined,
  params: number,
  sites: readonly number[],
  distinct = 2,
): Promise<CipherCost> {
  const vectors = Array.from({ length: distinct }, (_, v) =>
    Float32Array.from({ length: params }, (_, i) => Math.sin(i * 0.7 + v * 1.3)),
  );
  if (!profile) return measurePlaintext(vectors, params, sites);
  const cipher = await SiteCipher.generate(profile, { clipRange: 1, maxSites: 100 });
  const adder = await CiphertextAdder.create(profile);
  try {
    // Warm up the JIT and SEAL's memory pool outside the timings.
    const warm = vectors[0]!.subarray(0, Math.min(params, 8192));
    const warmSum = adder.startSum(warm.length);
    warmSum.add(cipher.encrypt(warm).batch);
    cipher.decrypt(warmSum.result(), 1);
    warmSum.delete();
    let t = performance.now();
    const batches = vectors.map((v) => cipher.encrypt(v).batch);
    const encryptMs = (performance.now() - t) / distinct;
    const aggregateMsBySites: Record<string, number> = {};
    let addMsPerSite = 0;
    let result = batches[0]!;
    for (const k of sites) {
      const sum = adder.startSum(params);
      t = performance.now();
      for (let s = 0; s < k; s++) sum.add(batches[s % distinct]!);
      result = sum.result();
      const ms = performance.now() - t;
      sum.delete();
      aggregateMsBySites[k] = ms;
      addMsPerSite = ms / k;
    }
    t = performance.now();
    cipher.decrypt(result, sites.at(-1) ?? 1);
    const decryptMs = performance.now() - t;
    return {
      profile: profile.id,
      params,
      uploadBytes: batchByteLength(batches[0]!),
      downloadBytes: batchByteLength(result),
      encryptMs,
      addMsPerSite,
      decryptMs,
      aggregateMsBySites,
    };
  } finally {
    adder.delete();
    cipher.delete();
  }
}

function measurePlaintext(vectors: Float32Array[], params: number, sites: readonly number[]): CipherCost {
  let t = performance.now();
  const wire = vectors.map((v) => new Uint8Array(v.buffer.slice(0)));
  const encryptMs = (performance.now() - t) / vectors.length;
  const aggregateMsBySites: Record<string, number> = {};
  let addMsPerSite = 0;
  for (const k of sites) {
    const sum = new Float32Array(params);
    t = performance.now();
    for (let s = 0; s < k; s++) {
      const v = new Float32Array(wire[s % wire.length]!.buffer);
      for (let i = 0; i < params; i++) sum[i]! += v[i]!;
    }
    const ms = performance.now() - t;
    aggregateMsBySites[k] = ms;
    addMsPerSite = ms / k;
  }
  return {
    profile: 'plaintext-float32',
    params,
    uploadBytes: params * 4,
    downloadBytes: params * 4,
    encryptMs,
    addMsPerSite,
    decryptMs: 0,
    aggregateMsBySites,
  };
}
