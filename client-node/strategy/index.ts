export {
  parseStrategyConfig,
  STRATEGY_NAMES,
  type StrategyConfig,
  type StrategyConfigInput,
  type StrategyName,
  strategyConfigSchema,
} from '../../common/job/strategy-config.js';
export { createStrategy } from './create-strategy.js';
export { FedAvg } from './fed-avg.js';
export { type AdaptiveStrategyName, FedOpt, type FedOptParams } from './fed-opt.js';
export { FedProx } from './fed-prox.js';
export { modelHash } from './model-hash.js';
export type { ServerStrategy, StrategyStepResult } from './server-strategy.js';
export { decodeStrategyState, encodeStrategyState, type StrategyState } from './strategy-state.js';
