import { HeflError } from '../../common/errors/index.js';
import type { OutgoingFilter } from './outgoing-filter.js';

/**
 * The fixed-point quantiser's clip, as its own step (BGV profiles only): every weighted
 * value is clipped to [-clipRange, clipRange], the range the job's quantiser maps onto
 * integers. The cipher then scales and rounds (`FixedPointQuantizer`) as it encodes; its
 * own clip finds nothing left to clip, so the bytes sent are exactly those of quantising
 * inside the cipher alone. Facts: the clip range and how many values hit it (a count,
 * never which or by how much). Refuses non-finite values.
 */
export function quantiseFilter(clipRange: number): OutgoingFilter {
  return {
    name: 'quantise',
    apply(update) {
      if (update.stage !== 'weighted')
        throw new HeflError('internal', `quantise runs on the weighted update, got a ${update.stage} update`);
      const out = new Float64Array(update.weighted.length);
      let clipped = 0;
      for (let i = 0; i < out.length; i++) {
        const v = update.weighted[i]!;
        if (!Number.isFinite(v))
          throw new HeflError('invalid_argument', `weighted update value at index ${i} is not finite`);
        if (v > clipRange) {
          out[i] = clipRange;
          clipped++;
        } else if (v < -clipRange) {
          out[i] = -clipRange;
          clipped++;
        } else out[i] = v;
      }
      return {
        update: { stage: 'weighted', weighted: out },
        facts: { valueCount: out.length, clipRange, clipped },
      };
    },
  };
}
