import type { StrategyName } from '../../common/job/strategy-config.js';
import type { StrategyState } from './strategy-state.js';

/** What one server-optimizer step produces: the next global model and the optimizer memory. */
export interface StrategyStepResult {
  readonly weights: Float32Array;
  readonly state: StrategyState;
}

/**
 * The "server" optimizer step of federated optimisation. In hefl only the sites ever see
 * the decrypted aggregate, so every site runs this step itself, and all sites must reach
 * bit-identical weights from identical inputs (their model hashes are compared, and a
 * mismatch stops the job). Implementations therefore use plain sequential loops with IEEE
 * basic operations only (+ - * / sqrt), no randomness, no parallel reductions.
 */
export interface ServerStrategy {
  readonly name: StrategyName;
  /**
   * @param global the current global model (float32 parameters, flattened).
   * @param averagedDelta the weighted mean over participating sites of
   *   (local weights - global), re-normalised for sites that dropped out; same length.
   * @param state the state returned by the previous step, or null in the first round.
   * @returns new weights and state; inputs are not modified. Throws `invalid_argument` on
   *   length mismatch or a state from another strategy, `invalid_data` on non-finite deltas.
   */
  step(global: Float32Array, averagedDelta: Float32Array, state: StrategyState | null): StrategyStepResult;
}
