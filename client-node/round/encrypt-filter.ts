import { HeflError } from '../../common/errors/index.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { OutgoingFilter } from './outgoing-filter.js';

/**
 * The last outgoing filter: encrypts the weighted update under the job's HE key, adding
 * the round's pairwise mask first when the job uses masks. Facts: the profile, the number
 * of values and ciphertexts, the ciphertext bytes and whether a mask was added.
 */
export function encryptFilter(cipher: SiteVectorCipher): OutgoingFilter {
  return {
    name: 'encrypt',
    apply(update, context) {
      if (update.stage !== 'weighted')
        throw new HeflError('internal', `encrypt runs on the weighted update, got a ${update.stage} update`);
      const mask = context.mask?.('update', update.weighted.length);
      const { batch, clipped } = cipher.encrypt(update.weighted, mask);
      return {
        update: { stage: 'encrypted', batch },
        facts: {
          profile: batch.profileId,
          valueCount: batch.valueCount,
          ciphertexts: batch.ciphertexts.length,
          bytes: batch.ciphertexts.reduce((a, c) => a + c.byteLength, 0),
          masked: mask !== undefined,
          ...(clipped > 0 ? { clipped } : {}),
        },
      };
    },
  };
}
