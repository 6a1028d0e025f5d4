import { decodeWeightedMean } from '../../common/fl/weighted-update.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { Section } from '../../common/protocol/section-framing.js';
import { findSection } from '../round-sections.js';
import type { ServerStrategy, StrategyStepResult } from '../strategy/index.js';

/**
 * A training round closed with an `update` section: decrypts the summed weighted updates,
 * divides by the summed weight (the weighted mean delta over exactly the sites summed) and
 * takes the strategy's step from the current global model. Returns null for a round
 * without updates (the final evaluation round).
 */
export function applyAggregateUpdate(parts: {
  readonly cipher: SiteVectorCipher;
  readonly sections: readonly Section[];
  readonly contributors: number;
  readonly clipRange: number;
  readonly strategy: ServerStrategy;
  readonly global: Float32Array;
  readonly state: StrategyStepResult['state'] | null;
}): StrategyStepResult | null {
  if (!parts.sections.some((s) => s.name === 'update')) return null;
  const sum = parts.cipher.decrypt(findSection(parts.sections, 'update'), parts.contributors);
  const { mean } = decodeWeightedMean(sum, parts.clipRange);
  return parts.strategy.step(parts.global, mean, parts.state);
}
