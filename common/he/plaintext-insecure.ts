import { randomBytes } from 'node:crypto';
import { HeflError } from '../errors/index.js';
import type { CiphertextBatch } from './ciphertext-batch.js';
import type {
  PreparedContribution,
  SiteVectorCipher,
  SumCheck,
  UploadShape,
  VectorAdder,
  VectorSum,
} from './vector-cipher.js';

/**
 * INSECURE: the same round path with the encryption taken out, for `--he off`
 * comparisons only. "Ciphertexts" are float64 values in the clear; the coordinator sees
 * every update. Runs are labelled insecure wherever this profile is used.
 */
export const PLAINTEXT_PROFILE_ID = 'plaintext-insecure/v1';

const SLOTS = 2048;

function checkPlainBatch(batch: CiphertextBatch, valueCount?: number): void {
  if (batch.profileId !== PLAINTEXT_PROFILE_ID) {
    throw new HeflError(
      'profile_mismatch',
      `expected profile ${PLAINTEXT_PROFILE_ID}, got '${batch.profileId}'`,
    );
  }
  if (batch.form !== 'plain')
    throw new HeflError('malformed_ciphertext', `expected plain form, got ${batch.form}`);
  if (valueCount !== undefined && batch.valueCount !== valueCount) {
    throw new HeflError(
      'malformed_ciphertext',
      `batch has ${batch.valueCount} values, expected ${valueCount}`,
    );
  }
  const expected = Math.ceil(batch.valueCount / SLOTS);
  if (!(batch.valueCount >= 1) || batch.ciphertexts.length !== expected) {
    throw new HeflError(
      'malformed_ciphertext',
      `batch has ${batch.ciphertexts.length} chunks, expected ${expected}`,
    );
  }
  batch.ciphertexts.forEach((chunk, c) => {
    const n = Math.min(SLOTS, batch.valueCount - c * SLOTS);
    if (chunk.length !== n * 8)
      throw new HeflError('malformed_ciphertext', `chunk ${c} has the wrong length`);
  });
}

function toBatch(values: Float64Array): CiphertextBatch {
  const ciphertexts: Uint8Array[] = [];
  for (let from = 0; from < values.length; from += SLOTS) {
    const part = values.slice(from, Math.min(values.length, from + SLOTS));
    ciphertexts.push(new Uint8Array(part.buffer));
  }
  return { profileId: PLAINTEXT_PROFILE_ID, form: 'plain', valueCount: values.length, ciphertexts };
}

function fromBatch(batch: CiphertextBatch): Float64Array {
  const out = new Float64Array(batch.valueCount);
  batch.ciphertexts.forEach((chunk, c) => {
    out.set(new Float64Array(chunk.slice().buffer), c * SLOTS);
  });
  return out;
}

export class PlaintextSiteCipher implements SiteVectorCipher {
  readonly profileId = PLAINTEXT_PROFILE_ID;

  encrypt(values: ArrayLike<number>): { batch: CiphertextBatch; clipped: number } {
    const copy = Float64Array.from(values as ArrayLike<number>);
    copy.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new HeflError('invalid_argument', `value at index ${i} is not finite`);
    });
    return { batch: toBatch(copy), clipped: 0 };
  }

  encryptIntegers(values: BigInt64Array, _bound: number): CiphertextBatch {
    return toBatch(Float64Array.from(values, (v) => Number(v)));
  }

  decrypt(batch: CiphertextBatch, _contributors: number): Float64Array {
    checkPlainBatch(batch);
    return fromBatch(batch);
  }

  decryptIntegers(batch: CiphertextBatch, _contributors: number): BigInt64Array {
    checkPlainBatch(batch);
    return BigInt64Array.from(fromBatch(batch), (v) => BigInt(Math.round(v)));
  }

  /** Finite values only: the insecure twin has no quantiser and no padding to check. */
  checkSum(batch: CiphertextBatch, contributors: number, perContribution: 'quantized' | number): SumCheck {
    checkPlainBatch(batch);
    const limit = perContribution === 'quantized' ? Number.POSITIVE_INFINITY : perContribution * contributors;
    let outOfBound = 0;
    for (const v of fromBatch(batch)) if (!(Math.abs(v) <= limit)) outOfBound++;
    return { outOfBound, nonZeroPadding: 0 };
  }

  /** A random token: there is no key, but the ceremony runs the same way. */
  exportSecretKey(): Uint8Array {
    return randomBytes(32);
  }

  delete(): void {}
}

export class PlaintextAdder implements VectorAdder {
  readonly profileId = PLAINTEXT_PROFILE_ID;

  uploadShape(valueCount: number): UploadShape {
    const ciphertextCount = Math.ceil(valueCount / SLOTS);
    const bytes = 4 * ciphertextCount + 8 * valueCount;
    return { form: 'plain', ciphertextCount, minBytes: bytes, maxBytes: bytes };
  }

  startSum(valueCount: number): VectorSum {
    return new PlaintextSum(valueCount);
  }

  delete(): void {}
}

class PlaintextSum implements VectorSum {
  readonly valueCount: number;
  private readonly sum: Float64Array;
  private count = 0;

  constructor(valueCount: number) {
    this.valueCount = valueCount;
    this.sum = new Float64Array(valueCount);
  }

  get contributions(): number {
    return this.count;
  }

  prepare(batch: CiphertextBatch): PreparedContribution & { values: Float64Array } {
    checkPlainBatch(batch, this.valueCount);
    const values = fromBatch(batch);
    if (values.some((v) => !Number.isFinite(v)))
      throw new HeflError('malformed_ciphertext', 'non-finite value');
    return { values, discard: () => {} };
  }

  commit(prepared: PreparedContribution): void {
    const { values } = prepared as PreparedContribution & { values: Float64Array };
    for (let i = 0; i < values.length; i++) this.sum[i]! += values[i]!;
    this.count++;
  }

  add(batch: CiphertextBatch): void {
    this.commit(this.prepare(batch));
  }

  result(): CiphertextBatch {
    if (this.count === 0) throw new HeflError('failed_precondition', 'the sum has no contributions');
    return toBatch(this.sum.slice());
  }

  delete(): void {}
}
