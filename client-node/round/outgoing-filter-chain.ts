import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { DpUpdateFilter } from '../privacy/dp-update-filter.js';
import { clipAndNoiseFilter } from './clip-and-noise-filter.js';
import { encryptFilter } from './encrypt-filter.js';
import type { OutgoingFilter } from './outgoing-filter.js';
import { quantiseFilter } from './quantise-filter.js';
import { weightFilter } from './weight-filter.js';

/**
 * The site's outgoing filter chain for a training update, in order: clip + noise (site-level
 * DP only), weight, quantise (BGV profiles only: CKKS and the plaintext twin take floats),
 * encrypt. The site's own mandatory filters; a job cannot remove or reorder them.
 */
export function outgoingFilterChain(parts: {
  readonly dp: DpUpdateFilter | null;
  readonly cipher: SiteVectorCipher;
  readonly job: { readonly weightCap: number; readonly clipRange: number };
}): readonly OutgoingFilter[] {
  const { dp, cipher, job } = parts;
  return Object.freeze([
    ...(dp ? [clipAndNoiseFilter(dp)] : []),
    weightFilter({ ...job, uniform: dp !== null }),
    ...(cipher.plainModulus !== undefined ? [quantiseFilter(job.clipRange)] : []),
    encryptFilter(cipher),
  ]);
}
