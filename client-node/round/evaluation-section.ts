import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { Section } from '../../common/protocol/section-framing.js';
import type { SectionMasker } from '../privacy/mask-filter.js';
import { exactSection } from '../round-sections.js';
import { type EvaluationSums, toVector } from '../training/index.js';

/**
 * The `metrics` section: the current global model's evaluation sums on the site's held-out
 * split, plus this site's own accuracy in one more slot: its sum over the sites gives the
 * unweighted mean of per-site accuracies without revealing any one.
 */
export function evaluationSection(
  cipher: SiteVectorCipher,
  sums: EvaluationSums,
  mask: SectionMasker | undefined,
): Section {
  const ownAccuracy = sums.count > 0 ? sums.correct / sums.count : 0;
  return exactSection(cipher, 'metrics', [...toVector(sums), ownAccuracy], mask);
}
