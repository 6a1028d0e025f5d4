import { HeflError } from '../common/errors/index.js';
import { decodeLimbs, encodeLimbs, LIMB_MAGNITUDE, STATS_ENCODING } from '../common/fl/limb-encoding.js';
import type { CiphertextBatch } from '../common/he/ciphertext-batch.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import type { Section } from '../common/protocol/section-framing.js';
import type { SectionMasker } from './privacy/mask-filter.js';

/**
 * The encrypted vectors a site sends in a round, by name:
 * - `stats`: feature statistics (counts, sums, sums of squares, category counts), limb-encoded;
 * - `update`: the weighted model update with its weight slot (fixed point, clipped);
 * - `metrics`: evaluation sums of the current global model, limb-encoded;
 * - `datareport`: round 0, counts of declared codes and of values outside the declared schema.
 * Names, not positions, tie encryption here to decryption after the round.
 */
export type SectionName = 'stats' | 'update' | 'metrics' | 'datareport';

export function exactSection(
  cipher: SiteVectorCipher,
  name: SectionName,
  values: ArrayLike<number>,
  masker?: SectionMasker,
): Section {
  const limbs = encodeLimbs(values, STATS_ENCODING);
  return { name, batch: cipher.encryptIntegers(limbs, LIMB_MAGNITUDE, masker?.(name, limbs.length)) };
}

export function decodeExactSection(
  cipher: SiteVectorCipher,
  batch: CiphertextBatch,
  contributors: number,
): Float64Array {
  return decodeLimbs(cipher.decryptIntegers(batch, contributors), STATS_ENCODING);
}

export function findSection(sections: readonly Section[], name: SectionName): CiphertextBatch {
  const section = sections.find((s) => s.name === name);
  if (!section) throw new HeflError('integrity', `the aggregate lacks the ${name} section`);
  return section.batch;
}
