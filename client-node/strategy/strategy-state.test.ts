import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { decodeStrategyState, encodeStrategyState, type StrategyState } from './strategy-state.js';

function adaptiveState(): StrategyState {
  return {
    strategy: 'fedyogi',
    round: 7,
    m: Float64Array.of(0.1, -0.2, 1e-300, Number.MIN_VALUE),
    v: Float64Array.of(1e-6, 0.25, 3, 0),
  };
}

describe('strategy state codec', () => {
  it('round-trips an adaptive state bit for bit', () => {
    const state = adaptiveState();

    const decoded = decodeStrategyState(encodeStrategyState(state));

    expect(decoded.strategy).toBe('fedyogi');
    expect(decoded.round).toBe(7);
    expect(Buffer.from(decoded.m!.buffer).equals(Buffer.from(state.m!.buffer))).toBe(true);
    expect(Buffer.from(decoded.v!.buffer).equals(Buffer.from(state.v!.buffer))).toBe(true);
  });

  it('round-trips a stateless FedAvg state', () => {
    const state: StrategyState = { strategy: 'fedavg', round: 2, m: null, v: null };

    expect(decodeStrategyState(encodeStrategyState(state))).toEqual(state);
  });

  it('decodes from a view with a non-zero offset', () => {
    const bytes = encodeStrategyState(adaptiveState());
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);

    expect(decodeStrategyState(padded.subarray(3)).v).toEqual(adaptiveState().v);
  });

  it('refuses truncated, extended, foreign and unknown-strategy bytes', () => {
    const bytes = encodeStrategyState(adaptiveState());
    const renamed = encodeStrategyState({ strategy: 'fedavg', round: 1, m: null, v: null });
    renamed[6] = 'x'.charCodeAt(0);

    for (const bad of [
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.of(...bytes, 0),
      Uint8Array.of(1, 2, 3),
      renamed,
    ]) {
      expect(() => decodeStrategyState(bad)).toThrow(HeflError);
    }
  });
});
