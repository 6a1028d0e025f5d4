import { HeflError } from '../../common/errors/index.js';
import { encodeWeightedUpdate } from '../../common/fl/weighted-update.js';
import type { OutgoingFilter } from './outgoing-filter.js';

/**
 * FedAvg weighting without revealing the sample count (`encodeWeightedUpdate`): scales the
 * delta by min(n, cap) / cap and appends the weight slot. Under DP every site weighs the
 * same (`uniform`: noise added before weighting must not shrink with a small site's weight,
 * and sample counts would leak), so the weight is the cap, w = 1. Facts: sizes and the
 * weighting rule, never the weight (it follows from the site's sample count).
 */
export function weightFilter(job: {
  readonly weightCap: number;
  readonly clipRange: number;
  readonly uniform: boolean;
}): OutgoingFilter {
  return {
    name: 'weight',
    apply(update, context) {
      if (update.stage !== 'delta')
        throw new HeflError('internal', `weight runs on the plaintext delta, got a ${update.stage} update`);
      const samples = job.uniform ? job.weightCap : context.samples;
      const weighted = encodeWeightedUpdate(update.delta, samples, job.weightCap, job.clipRange);
      return {
        update: { stage: 'weighted', weighted },
        facts: {
          valueCount: update.delta.length,
          valueCountOut: weighted.length,
          weighting: job.uniform ? 'uniform' : 'samples-capped',
          weightCap: job.weightCap,
        },
      };
    },
  };
}
