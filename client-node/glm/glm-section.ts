import { GLM_ENCODING, GLM_SECTION } from '../../common/fl/glm-layout.js';
import { decodeLimbs, encodeLimbs, LIMB_MAGNITUDE } from '../../common/fl/limb-encoding.js';
import type { CiphertextBatch } from '../../common/he/ciphertext-batch.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { Section } from '../../common/protocol/section-framing.js';
import type { SectionMasker } from '../privacy/mask-filter.js';

export { GLM_SECTION };

/** Encrypts a site's GLM statistics, limb-encoded at {@link GLM_ENCODING} (exact when summed). */
export function glmSection(
  cipher: SiteVectorCipher,
  vector: ArrayLike<number>,
  masker?: SectionMasker,
): Section {
  const limbs = encodeLimbs(vector, GLM_ENCODING);
  return {
    name: GLM_SECTION,
    batch: cipher.encryptIntegers(limbs, LIMB_MAGNITUDE, masker?.(GLM_SECTION, limbs.length)),
  };
}

/** Decrypts the summed statistics of `contributors` sites. */
export function decodeGlmSection(
  cipher: SiteVectorCipher,
  batch: CiphertextBatch,
  contributors: number,
): Float64Array {
  return decodeLimbs(cipher.decryptIntegers(batch, contributors), GLM_ENCODING);
}
