import { HeflError } from '../../common/errors/index.js';
import type { StrategyName } from '../../common/job/strategy-config.js';
import type { StrategyState } from './strategy-state.js';

/** Shared argument checks for every `ServerStrategy.step`. */
export function checkStepInputs(
  name: StrategyName,
  global: Float32Array,
  averagedDelta: Float32Array,
  state: StrategyState | null,
): void {
  if (global.length !== averagedDelta.length) {
    throw new HeflError(
      'invalid_argument',
      `${name}: model has ${global.length} parameters but the averaged delta has ${averagedDelta.length}`,
    );
  }
  if (state !== null && state.strategy !== name) {
    throw new HeflError('invalid_argument', `${name}: cannot resume from a ${state.strategy} state`);
  }
  for (let i = 0; i < averagedDelta.length; i += 1) {
    if (!Number.isFinite(averagedDelta[i]!) || !Number.isFinite(global[i]!)) {
      throw new HeflError('invalid_data', `${name}: non-finite value at parameter ${i}`);
    }
  }
}
