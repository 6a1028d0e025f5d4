import { EVALUATION_BINS } from '../../common/fl/round-section-shapes.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import { sealMetrics } from '../../common/protocol/sealed-metrics.js';
import type { Section } from '../../common/protocol/section-framing.js';
import type { ModelCard } from '../model-release.js';
import { decodeExactSection, findSection } from '../round-sections.js';
import { fromVector, metricsFromSums } from '../training/index.js';

/**
 * A training round closed: decrypts the summed evaluation of the model the round started
 * from (`modelRound`), turns it into aggregate metrics (the mean of the sites' accuracies
 * from the extra slot; pooled accuracy, AUC and loss over all held-out records) and seals
 * them to the researcher.
 */
export function openRoundMetrics(parts: {
  readonly cipher: SiteVectorCipher;
  readonly sections: readonly Section[];
  readonly contributors: number;
  readonly modelRound: number;
  readonly researcherKey: Uint8Array;
}): { readonly metrics: ModelCard['metrics']; readonly sealed: { nonce: Uint8Array; sealed: Uint8Array } } {
  const { cipher, contributors } = parts;
  const vector = decodeExactSection(cipher, findSection(parts.sections, 'metrics'), contributors);
  const sums = fromVector(vector.subarray(0, vector.length - 1), EVALUATION_BINS);
  const pooled = metricsFromSums(sums);
  const meanSiteAccuracy = vector[vector.length - 1]! / contributors;
  const metrics = {
    accuracy: meanSiteAccuracy,
    pooledAccuracy: pooled.accuracy,
    auc: pooled.auc,
    loss: pooled.loss,
    examples: sums.count,
  };
  const sealed = sealMetrics(
    {
      modelRound: parts.modelRound,
      accuracy: pooled.accuracy,
      meanSiteAccuracy,
      auc: pooled.auc,
      loss: pooled.loss,
      examples: sums.count,
    },
    parts.researcherKey,
  );
  return { metrics, sealed };
}
