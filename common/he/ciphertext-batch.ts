/**
 * How the ciphertexts of a batch are written:
 * - `seeded`: hefl-packed, one polynomial plus a PRNG seed (a site's fresh update);
 * - `full`: hefl-packed, both polynomials (a sum made by the coordinator);
 * - `seal-zstd`: SEAL's own compressed serialization (comparison profiles only);
 * - `plain`: float64 values in the clear (the insecure `--he off` comparison path).
 */
export type CiphertextForm = 'seeded' | 'full' | 'seal-zstd' | 'plain';

/**
 * An encrypted vector as it travels: the profile id and form let any receiver refuse it
 * before touching SEAL, and `valueCount` says how many of the slots carry values.
 * Nobody can read the values without the job's secret key, which only sites hold.
 */
export interface CiphertextBatch {
  readonly profileId: string;
  readonly form: CiphertextForm;
  readonly valueCount: number;
  readonly ciphertexts: readonly Uint8Array[];
}

export function batchByteLength(batch: CiphertextBatch): number {
  let total = 0;
  for (const ct of batch.ciphertexts) total += ct.length;
  return total;
}
