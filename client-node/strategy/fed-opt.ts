import { HeflError } from '../../common/errors/index.js';
import { checkStepInputs } from './check-step-inputs.js';
import type { ServerStrategy, StrategyStepResult } from './server-strategy.js';
import type { StrategyState } from './strategy-state.js';

export type AdaptiveStrategyName = 'fedadam' | 'fedyogi' | 'fedadagrad';

/** Hyper-parameters of an adaptive server optimizer (see `StrategyConfig` for units). */
export interface FedOptParams {
  readonly serverLearningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly tau: number;
}

/**
 * FedAdam, FedYogi and FedAdagrad as in Reddi et al. 2021, "Adaptive Federated
 * Optimization", Algorithm 2, with delta the averaged site delta:
 *
 *   m_t = beta1 * m_{t-1} + (1 - beta1) * delta
 *   v_t = v_{t-1} + delta^2                                           (FedAdagrad)
 *   v_t = v_{t-1} - (1 - beta2) * delta^2 * sign(v_{t-1} - delta^2)   (FedYogi)
 *   v_t = beta2 * v_{t-1} + (1 - beta2) * delta^2                     (FedAdam)
 *   x_{t+1} = x_t + eta * m_t / (sqrt(v_t) + tau)
 *
 * with m_{-1} = 0 and v_{-1} = tau^2 (the paper asks v_{-1} >= tau^2). Differences from
 * Flower's implementations, on purpose: Flower starts v at 0, applies no momentum in
 * FedAdagrad (beta1 = 0) and bias-corrects eta in FedAdam; we follow the paper, and
 * FedAdagrad uses beta1 like the others. Moments are kept in float64 and updated in one
 * sequential loop, so every site gets bit-identical results.
 */
export class FedOpt implements ServerStrategy {
  constructor(
    readonly name: AdaptiveStrategyName,
    readonly params: FedOptParams,
  ) {}

  step(global: Float32Array, averagedDelta: Float32Array, state: StrategyState | null): StrategyStepResult {
    checkStepInputs(this.name, global, averagedDelta, state);
    const n = global.length;
    const { serverLearningRate: eta, beta1, beta2, tau } = this.params;
    const previousM = state?.m ?? null;
    const previousV = state?.v ?? null;
    if (state !== null && (previousM?.length !== n || previousV?.length !== n)) {
      throw new HeflError('invalid_argument', `${this.name}: state moments do not match ${n} parameters`);
    }
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    const weights = new Float32Array(n);
    const initialV = tau * tau;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    for (let i = 0; i < n; i += 1) {
      const delta = averagedDelta[i]!;
      const squared = delta * delta;
      const mPrev = previousM === null ? 0 : previousM[i]!;
      const vPrev = previousV === null ? initialV : previousV[i]!;
      const mi = beta1 * mPrev + oneMinusBeta1 * delta;
      let vi: number;
      if (this.name === 'fedadagrad') {
        vi = vPrev + squared;
      } else if (this.name === 'fedyogi') {
        vi = vPrev - oneMinusBeta2 * squared * Math.sign(vPrev - squared);
      } else {
        vi = beta2 * vPrev + oneMinusBeta2 * squared;
      }
      m[i] = mi;
      v[i] = vi;
      weights[i] = global[i]! + (eta * mi) / (Math.sqrt(vi) + tau);
    }
    return { weights, state: { strategy: this.name, round: (state?.round ?? 0) + 1, m, v } };
  }
}
