import { performance } from 'node:perf_hooks';
import { generateBoxKeyPair } from '../../common/crypto/index.js';
import { PairwiseMasks } from '../../common/fl/pairwise-mask.js';
import { CiphertextAdder } from '../../common/he/ciphertext-adder.js';
import { batchByteLength } from '../../common/he/ciphertext-batch.js';
import { DEFAULT_PROFILE_ID, type HeProfile, listProfiles } from '../../common/he/he-profile.js';
import { SiteCipher } from '../../common/he/site-cipher.js';
import { createSeededRandom } from '../../common/random/seeded-random.js';
import { measurePaillier, type PaillierResult } from './paillier-baseline.js';

export interface HeBenchOptions {
  readonly params: number;
  readonly sites: number;
  /** Values are drawn uniformly from [-clipRange, clipRange]. */
  readonly clipRange: number;
  /** Largest federation the quantizer is sized for (it sets the BGV scale). */
  readonly maxSites: number;
  readonly paillierSample: number;
  readonly onProgress?: (line: string) => void;
}

export interface ProfileResult {
  readonly name: string;
  readonly default: boolean;
  readonly description: string;
  readonly bytesPerParam: number;
  readonly downloadBytesPerParam: number;
  readonly encryptMs: number;
  readonly addMsPerSite: number;
  readonly decryptMs: number;
  readonly maxAbsError: number;
  /** The quantizer's guaranteed bound for this many sites (BGV); null for CKKS. */
  readonly errorBound: number | null;
  readonly clipRange: number;
  /** BGV: pairwise masks (he.masks: pairwise) for one site masking with sites-1 peers; null for CKKS. */
  readonly masking: MaskingResult | null;
}

export interface MaskingResult {
  readonly peers: number;
  /** Encrypting the update without a mask, timed next to the masked run. */
  readonly encryptMs: number;
  /** Expanding and summing the sites-1 pair masks for one update. */
  readonly maskMs: number;
  /** Encrypting the same update with its mask added (compare with encryptMs). */
  readonly maskedEncryptMs: number;
  /** maskMs + maskedEncryptMs - encryptMs, over encryptMs. */
  readonly overheadVsEncrypt: number;
  /** maskMs over encryptMs: what expanding the masks costs next to encrypting (issue 15: at most 0.1). */
  readonly maskVsEncrypt: number;
  readonly maskedBytesPerParam: number;
}

export interface HeBenchResult {
  readonly params: number;
  readonly sites: number;
  /** Distinct vectors encrypted; site i sends vector i mod this (adds cost the same). */
  readonly distinctVectors: number;
  readonly profiles: ProfileResult[];
  readonly plaintext: { bytesPerParam: number; addMsPerSite: number; maxAbsError: number };
  readonly paillier: PaillierResult;
  readonly ratios: {
    readonly bytesVsPlaintext: Record<string, number>;
    readonly bytesVsNvflare: Record<string, number>;
  };
}

const NVFLARE_PROFILE = 'ckks-n8192-nvflare/v1';

/**
 * Measures, in one run and on the same data, what each HE profile costs against
 * plaintext float32 and per-value Paillier. Every figure is measured here; Paillier is
 * measured on a sample and extrapolated, and labelled so.
 */
export async function runHeBenchmark(options: HeBenchOptions): Promise<HeBenchResult> {
  const { params, sites, clipRange } = options;
  const progress = options.onProgress ?? (() => {});
  const distinct = Math.min(sites, 3);
  const random = createSeededRandom(20261126);
  const vectors = Array.from({ length: distinct }, () =>
    Float32Array.from({ length: params }, () => (random.next() * 2 - 1) * clipRange),
  );
  const exact = new Float64Array(params);
  for (let s = 0; s < sites; s++) {
    const v = vectors[s % distinct]!;
    for (let i = 0; i < params; i++) exact[i]! += v[i]!;
  }

  const plaintext = measurePlaintext(vectors, sites, exact);
  const profiles: ProfileResult[] = [];
  for (const profile of listProfiles()) {
    progress(`measuring ${profile.id} ...`);
    profiles.push(await measureProfile(profile, vectors, sites, exact, options));
  }
  progress(`measuring Paillier on a sample of ${options.paillierSample} values ...`);
  const paillier = await measurePaillier(params, sites, options.paillierSample);

  const nvflare = profiles.find((p) => p.name === NVFLARE_PROFILE)!;
  const bytesVsPlaintext: Record<string, number> = {};
  const bytesVsNvflare: Record<string, number> = {};
  for (const p of profiles) {
    bytesVsPlaintext[p.name] = p.bytesPerParam / plaintext.bytesPerParam;
    bytesVsNvflare[p.name] = nvflare.bytesPerParam / p.bytesPerParam;
  }
  bytesVsPlaintext.paillier = paillier.bytesPerParam / plaintext.bytesPerParam;
  return {
    params,
    sites,
    distinctVectors: distinct,
    profiles,
    plaintext,
    paillier,
    ratios: { bytesVsPlaintext, bytesVsNvflare },
  };
}

async function measureProfile(
  profile: HeProfile,
  vectors: Float32Array[],
  sites: number,
  exact: Float64Array,
  options: HeBenchOptions,
): Promise<ProfileResult> {
  const site = await SiteCipher.generate(profile, {
    clipRange: options.clipRange,
    maxSites: options.maxSites,
  });
  const adder = await CiphertextAdder.create(profile);
  try {
    // Warm up the JIT and SEAL's memory pool on a few ciphertexts, outside the timings.
    const warm = adder.startSum(Math.min(options.params, site.he.slots * 4));
    warm.add(site.encrypt(vectors[0]!.subarray(0, warm.valueCount)).batch);
    site.decrypt(warm.result(), 1);
    warm.delete();
    let started = performance.now();
    const batches = vectors.map((v) => site.encrypt(v).batch);
    const encryptMs = (performance.now() - started) / vectors.length;
    const sum = adder.startSum(options.params);
    started = performance.now();
    for (let s = 0; s < sites; s++) sum.add(batches[s % batches.length]!);
    const result = sum.result();
    const addMsPerSite = (performance.now() - started) / sites;
    sum.delete();
    started = performance.now();
    const decoded = site.decrypt(result, sites);
    const decryptMs = performance.now() - started;
    let maxAbsError = 0;
    for (let i = 0; i < decoded.length; i++)
      maxAbsError = Math.max(maxAbsError, Math.abs(decoded[i]! - exact[i]!));
    const masking = site.plainModulus === undefined ? null : measureMasking(site, vectors[0]!, sites);
    return {
      name: profile.id,
      default: profile.id === DEFAULT_PROFILE_ID,
      description: profile.description,
      bytesPerParam: batchByteLength(batches[0]!) / options.params,
      downloadBytesPerParam: batchByteLength(result) / options.params,
      encryptMs,
      addMsPerSite,
      decryptMs,
      maxAbsError,
      errorBound: site.quantizer ? site.quantizer.errorBound(sites) : null,
      clipRange: options.clipRange,
      masking,
    };
  } finally {
    site.delete();
    adder.delete();
  }
}

/**
 * Site 0 of `sites` masks one update with every peer, as under `he.masks: pairwise`. Plain
 * and masked encryption are timed back to back on the same vector, best of three each, so a
 * busy machine skews both alike.
 */
function measureMasking(site: SiteCipher, vector: Float32Array, sites: number): MaskingResult {
  const t = site.plainModulus!;
  const ids = Array.from({ length: sites }, (_, i) => `site-${String(i).padStart(4, '0')}`);
  const keys = ids.map(() => generateBoxKeyPair());
  const masks = new PairwiseMasks(
    { siteId: ids[0]!, sealingSecretKey: keys[0]!.secretKey, jobId: 'bench' },
    (peer) => keys[ids.indexOf(peer)]?.publicKey,
  );
  let encryptMs = Number.POSITIVE_INFINITY;
  let maskMs = Number.POSITIVE_INFINITY;
  let maskedEncryptMs = Number.POSITIVE_INFINITY;
  let maskedBytes = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    let started = performance.now();
    site.encrypt(vector);
    encryptMs = Math.min(encryptMs, performance.now() - started);
    started = performance.now();
    const mask = masks.vector(ids, { round: 1, attempt, section: 'update' }, vector.length, t);
    maskMs = Math.min(maskMs, performance.now() - started);
    started = performance.now();
    const { batch } = site.encrypt(vector, mask);
    maskedEncryptMs = Math.min(maskedEncryptMs, performance.now() - started);
    maskedBytes = batchByteLength(batch);
  }
  return {
    peers: sites - 1,
    encryptMs,
    maskMs,
    maskedEncryptMs,
    overheadVsEncrypt: (maskMs + maskedEncryptMs - encryptMs) / encryptMs,
    maskVsEncrypt: maskMs / encryptMs,
    maskedBytesPerParam: maskedBytes / vector.length,
  };
}

function measurePlaintext(vectors: Float32Array[], sites: number, exact: Float64Array) {
  const sum = new Float32Array(exact.length);
  const started = performance.now();
  for (let s = 0; s < sites; s++) {
    const v = vectors[s % vectors.length]!;
    for (let i = 0; i < sum.length; i++) sum[i]! += v[i]!;
  }
  const addMsPerSite = (performance.now() - started) / sites;
  let maxAbsError = 0;
  for (let i = 0; i < sum.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(sum[i]! - exact[i]!));
  return { bytesPerParam: 4, addMsPerSite, maxAbsError };
}
