export {
  canAfford,
  type DpBudget,
  type DpUnit,
  dpBudgetSchema,
  parseDpBudget,
  recordSpend,
  remaining,
  spentEpsilon,
} from './dp-budget.js';
export { addGaussianNoise, type ClipResult, clipL2, siteNoiseStddev } from './gaussian-noise.js';
export { cryptoNoiseSource, type NoiseSource, type RandomSource, seededNoiseSource } from './noise-source.js';
export {
  computeEpsilon,
  computeRdp,
  DEFAULT_RDP_ORDERS,
  type EpsilonQuery,
  type EpsilonResult,
  type RdpConversion,
  rdpToEpsilon,
} from './rdp-accountant.js';
