import type { CiphertextBatch } from '../../common/he/ciphertext-batch.js';
import type { SectionMasker } from '../privacy/mask-filter.js';

/**
 * A model update on its way out of a site, tagged with how far it got:
 * - `delta`: plaintext local minus global weights, one value per model parameter;
 * - `weighted`: the update scaled by the site's FedAvg weight, plus the weight slot
 *   (see `encodeWeightedUpdate`), still plaintext;
 * - `encrypted`: the ciphertexts that leave the site.
 * Everything before `encrypted` stays in the site's memory.
 */
export type OutgoingUpdate =
  | { readonly stage: 'delta'; readonly delta: Float32Array }
  | { readonly stage: 'weighted'; readonly weighted: Float64Array }
  | { readonly stage: 'encrypted'; readonly batch: CiphertextBatch };

/** What every outgoing filter may know about the update it works on. */
export interface OutgoingFilterContext {
  readonly jobId: string;
  readonly round: number;
  /** The run of the round (re-runs count up). */
  readonly attempt: number;
  /** Training examples behind the update (the FedAvg weight before the cap). */
  readonly samples: number;
  /** The pairwise mask of the update section under `he.masks: pairwise`, else undefined. */
  readonly mask: SectionMasker | undefined;
}
