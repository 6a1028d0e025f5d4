import { checkStepInputs } from './check-step-inputs.js';
import type { ServerStrategy, StrategyStepResult } from './server-strategy.js';
import type { StrategyState } from './strategy-state.js';

/**
 * FedAvg (McMahan et al. 2017) with a server learning rate: x <- x + eta * delta.
 * With eta = 1 the new model is exactly the weighted average of the sites' models
 * (up to float32 rounding of the sum). Stateless apart from the round counter.
 */
export class FedAvg implements ServerStrategy {
  readonly name: 'fedavg' | 'fedprox' = 'fedavg';

  constructor(readonly serverLearningRate = 1) {}

  step(global: Float32Array, averagedDelta: Float32Array, state: StrategyState | null): StrategyStepResult {
    checkStepInputs(this.name, global, averagedDelta, state);
    const eta = this.serverLearningRate;
    const weights = new Float32Array(global.length);
    for (let i = 0; i < global.length; i += 1) {
      weights[i] = global[i]! + eta * averagedDelta[i]!;
    }
    return { weights, state: { strategy: this.name, round: (state?.round ?? 0) + 1, m: null, v: null } };
  }
}
