import { HeflError } from '../../common/errors/index.js';
import type { DpUpdateFilter } from '../privacy/dp-update-filter.js';
import type { OutgoingFilter } from './outgoing-filter.js';

/**
 * Site-level DP on the outgoing chain: clips the plaintext delta's L2 norm and adds this
 * site's share of Gaussian noise (`DpUpdateFilter`). Facts: the DP settings and whether
 * the norm was clipped (a data-dependent bit the DP guarantee does not cover: it stays in
 * the site's own log, never goes to a peer); no norm, which would leak more.
 */
export function clipAndNoiseFilter(dp: DpUpdateFilter): OutgoingFilter {
  return {
    name: dp.name,
    apply(update) {
      if (update.stage !== 'delta')
        throw new HeflError(
          'internal',
          `${dp.name} runs on the plaintext delta, got a ${update.stage} update`,
        );
      const { update: noisy, record } = dp.apply(update.delta);
      return {
        update: { stage: 'delta', delta: noisy },
        facts: {
          valueCount: noisy.length,
          clipNorm: record.clipNorm,
          noiseMultiplier: record.noiseMultiplier,
          noiseShares: record.noiseShares,
          clipped: record.clipped,
        },
      };
    },
  };
}
