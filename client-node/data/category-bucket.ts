import { createHmac } from 'node:crypto';

/**
 * Maps a category to one of `buckets` slots with HMAC-SHA256 keyed by the job's salt over
 * `column NUL value` (first 4 bytes, big-endian, mod `buckets`). Sites never exchange their
 * category lists: they exchange fixed-length bucket counts, whose layout does not depend on
 * which categories a site has. This is not a secrecy guarantee for small vocabularies: anyone
 * holding the salt can hash candidate values. Distinct categories may collide in one bucket
 * (they then share a one-hot feature); keep `buckets` well above the expected vocabulary.
 */
export function categoryBucket(column: string, value: string, salt: string, buckets: number): number {
  const digest = createHmac('sha256', salt).update(column).update('\u0000').update(value).digest();
  return digest.readUInt32BE(0) % buckets;
}
