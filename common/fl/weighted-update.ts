import { HeflError } from '../errors/index.js';

/**
 * FedAvg weighting without telling the coordinator anyone's sample count: the weight
 * travels in an extra encrypted slot next to the weighted update. A site sends
 * [w * delta_1, ..., w * delta_P, w * clipRange] with w = min(n, weightCap) / weightCap;
 * after decryption, dividing the first P sums by the weight sum gives the weighted mean
 * over exactly the sites that were summed — re-normalised automatically when some drop out.
 * The weight slot is scaled by clipRange so it is never clipped.
 */
export function encodeWeightedUpdate(
  delta: Float32Array,
  samples: number,
  weightCap: number,
  clipRange: number,
) {
  if (!(Number.isInteger(samples) && samples >= 1)) {
    throw new HeflError('invalid_argument', `sample count must be a positive integer, got ${samples}`);
  }
  const w = Math.min(samples, weightCap) / weightCap;
  const out = new Float64Array(delta.length + 1);
  for (let i = 0; i < delta.length; i++) out[i] = w * delta[i]!;
  out[delta.length] = w * clipRange;
  return out;
}

/** Decodes a decrypted sum of weighted updates into the weighted mean delta. */
export function decodeWeightedMean(
  sum: Float64Array,
  clipRange: number,
): { mean: Float32Array; totalWeight: number } {
  const parameters = sum.length - 1;
  const totalWeight = sum[parameters]! / clipRange;
  if (!(totalWeight > 0)) {
    throw new HeflError('integrity', 'the aggregate carries no positive weight; cannot average');
  }
  const mean = new Float32Array(parameters);
  for (let i = 0; i < parameters; i++) mean[i] = sum[i]! / totalWeight;
  return { mean, totalWeight };
}
