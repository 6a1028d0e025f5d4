import { performance } from 'node:perf_hooks';
import { generateRandomKeys } from 'paillier-bigint';

export interface PaillierResult {
  readonly keyBits: number;
  readonly sampleValues: number;
  readonly extrapolated: true;
  readonly bytesPerParam: number;
  readonly encryptMs: number;
  readonly addMsPerSite: number;
  readonly decryptMs: number;
  readonly maxAbsError: number;
  readonly note: string;
}

const KEY_BITS = 2048;
const SCALE = 2 ** 24;

/**
 * Per-value Paillier, the classic FATE-style approach: each parameter is one ciphertext
 * modulo n^2. Timed on `sample` values and extrapolated linearly to `params` values.
 */
export async function measurePaillier(
  params: number,
  sites: number,
  sample: number,
): Promise<PaillierResult> {
  const { publicKey, privateKey } = await generateRandomKeys(KEY_BITS);
  const values = Array.from({ length: sample }, (_, i) => Math.sin(i + 1) * 0.5);
  const encode = (v: number) => (BigInt(Math.round(v * SCALE)) + publicKey.n) % publicKey.n;

  let started = performance.now();
  const ciphertexts = values.map((v) => publicKey.encrypt(encode(v)));
  const encryptSample = performance.now() - started;

  const addSites = Math.min(sites, 4);
  started = performance.now();
  let sums = ciphertexts;
  for (let s = 1; s < addSites; s++) sums = sums.map((c, i) => publicKey.addition(c, ciphertexts[i]!));
  const addSamplePerSite = (performance.now() - started) / Math.max(1, addSites - 1);

  started = performance.now();
  const decoded = sums.map((c) => {
    let m = privateKey.decrypt(c);
    if (m > publicKey.n / 2n) m -= publicKey.n;
    return Number(m) / SCALE;
  });
  const decryptSample = performance.now() - started;
  let maxAbsError = 0;
  decoded.forEach((d, i) => {
    maxAbsError = Math.max(maxAbsError, Math.abs(d - values[i]! * addSites));
  });

  const bytesPerCiphertext = Math.ceil((KEY_BITS * 2) / 8);
  const factor = params / sample;
  return {
    keyBits: KEY_BITS,
    sampleValues: sample,
    extrapolated: true,
    bytesPerParam: bytesPerCiphertext,
    encryptMs: encryptSample * factor,
    addMsPerSite: addSamplePerSite * factor,
    decryptMs: decryptSample * factor,
    maxAbsError,
    note: `timed on ${sample} values and extrapolated linearly to ${params}; ${KEY_BITS}-bit modulus, 2^24 fixed point`,
  };
}
