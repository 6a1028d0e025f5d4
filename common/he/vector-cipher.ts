import type { CiphertextBatch } from './ciphertext-batch.js';

/**
 * What a site does with the job's cipher. Implemented by {@link SiteCipher} (real HE) and
 * by the plaintext twin used for `--he off` comparisons. Only site code holds one.
 */
export interface SiteVectorCipher {
  readonly profileId: string;
  /** BGV: the plain modulus t that masks are reduced by; undefined where masks do not apply. */
  readonly plainModulus?: bigint | undefined;
  /** Largest |integer| `encryptIntegers` accepts under this job's site count. */
  /**
   * `mask`: optional pairwise mask, one value in [0, t) per input, added mod t to the
   * quantised values before encryption (see PairwiseMasks). BGV only; the plaintext twin,
   * which protects nothing, ignores it.
   */
  encrypt(values: ArrayLike<number>, mask?: Float64Array): { batch: CiphertextBatch; clipped: number };
  encryptIntegers(values: BigInt64Array, bound: number, mask?: Float64Array): CiphertextBatch;
  decrypt(batch: CiphertextBatch, contributors: number): Float64Array;
  decryptIntegers(batch: CiphertextBatch, contributors: number): BigInt64Array;
  /**
   * Decrypts a sum and checks what honest inputs guarantee: every value slot within
   * `contributors x perContribution` (integer units: `'quantized'` = the quantiser's largest
   * |value|, else a bound on |integer| as given to `encryptIntegers`) and every padding slot
   * exactly zero. Garbage (random bytes, another key) fails with overwhelming probability.
   * The result carries counts only, never values.
   */
  checkSum(batch: CiphertextBatch, contributors: number, perContribution: 'quantized' | number): SumCheck;
  /** The job's secret key, only to be sealed to another accepting site. */
  exportSecretKey(): Uint8Array;
  delete(): void;
}

/** The outcome of {@link SiteVectorCipher.checkSum}: counts of offending slots, never values. */
export interface SumCheck {
  readonly outOfBound: number;
  readonly nonZeroPadding: number;
}

/** A contribution parsed and validated, not yet added; see {@link VectorSum.prepare}. */
export interface PreparedContribution {
  discard(): void;
}

/** A running sum of whole contributions, as the coordinator keeps it. */
export interface VectorSum {
  readonly valueCount: number;
  readonly contributions: number;
  /** Parses and validates a batch without changing the sum (throws a HeflError on bad bytes). */
  prepare(batch: CiphertextBatch): PreparedContribution;
  /** Adds a prepared contribution; cannot fail on well-formed input. */
  commit(prepared: PreparedContribution): void;
  /** prepare + commit. */
  add(batch: CiphertextBatch): void;
  result(): CiphertextBatch;
  delete(): void;
}

/**
 * How a site's fresh batch of `valueCount` values travels under a profile, framed as in an
 * update (each ciphertext preceded by its 4-byte length): lets the coordinator refuse a
 * declared size before reading it. Bytes are exact for fixed-size forms.
 */
export interface UploadShape {
  readonly form: CiphertextBatch['form'];
  readonly ciphertextCount: number;
  readonly minBytes: number;
  readonly maxBytes: number;
}

/** What the coordinator holds: it can add, and nothing else. */
export interface VectorAdder {
  readonly profileId: string;
  uploadShape(valueCount: number): UploadShape;
  startSum(valueCount: number): VectorSum;
  delete(): void;
}
