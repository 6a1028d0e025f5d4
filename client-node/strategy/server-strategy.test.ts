import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { createStrategy } from './create-strategy.js';
import { FedProx } from './fed-prox.js';
import { modelHash } from './model-hash.js';
import { decodeStrategyState, encodeStrategyState, type StrategyState } from './strategy-state.js';

const global = () => Float32Array.of(1, -2, 0.5);
const delta = () => Float32Array.of(0.5, -0.25, 0);
const smallDelta = () => Float32Array.of(0.01, 0.01, 0.01);

function expectWeights(actual: Float32Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => {
    expect(actual[i]).toBeCloseTo(value, 6);
  });
}

/** Deterministic pseudo-random float32 vector (LCG), so determinism tests need no Math.random. */
function vector(length: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

describe('FedAvg / FedProx', () => {
  it('adds eta times the averaged delta', () => {
    const fedavg = createStrategy({ name: 'fedavg' });
    const halfStep = createStrategy({ name: 'fedavg', serverLearningRate: 0.5 });

    const full = fedavg.step(global(), delta(), null);
    const half = halfStep.step(global(), delta(), null);

    expect(Array.from(full.weights)).toEqual([1.5, -2.25, 0.5]);
    expect(Array.from(half.weights)).toEqual([1.25, -2.125, 0.5]);
    expect(full.state).toEqual({ strategy: 'fedavg', round: 1, m: null, v: null });
  });

  it('FedProx steps exactly like FedAvg and carries mu for local training', () => {
    const prox = createStrategy({ name: 'fedprox', proximalMu: 0.1 });

    const result = prox.step(global(), delta(), null);

    expect(prox).toBeInstanceOf(FedProx);
    expect((prox as FedProx).proximalMu).toBe(0.1);
    expect(Array.from(result.weights)).toEqual([1.5, -2.25, 0.5]);
    expect(result.state.strategy).toBe('fedprox');
  });
});

describe('adaptive strategies (Reddi et al. 2021, Algorithm 2), first step from m = 0, v = tau^2', () => {
  // delta = 0.5 with beta1 0.9: m = 0.1 * 0.5 = 0.05.
  it('FedAdam: v = 0.99 * 1e-6 + 0.01 * 0.25 = 0.00250099; x = 1 + 0.1 * 0.05 / (0.0500099 + 0.001)', () => {
    const adam = createStrategy({ name: 'fedadam' });

    const first = adam.step(global(), delta(), null);
    const second = adam.step(first.weights, smallDelta(), first.state);

    expectWeights(first.weights, [1.0980202, -2.0960808, 0.5]);
    expect(first.state.v?.[0]).toBeCloseTo(0.00250099, 12);
    expect(first.state.m?.[1]).toBeCloseTo(-0.025, 12);
    // v2 = 0.99 * 0.00250099 + 0.01 * 1e-4
    expect(second.state.v?.[0]).toBeCloseTo(0.0024769801, 9);
    expect(second.state.round).toBe(2);
  });

  it('FedYogi: v grows by (1 - beta2) d^2 while v < d^2 and shrinks by it once v > d^2', () => {
    const yogi = createStrategy({ name: 'fedyogi' });

    const first = yogi.step(global(), delta(), null);
    const second = yogi.step(first.weights, smallDelta(), first.state);

    // v1 = 1e-6 + 0.01 * 0.25 = 0.002501; x = 1 + 0.01 * 0.05 / (0.05001 + 0.001)
    expectWeights(first.weights, [1.009802, -2.009608, 0.5]);
    expect(first.state.v?.[0]).toBeCloseTo(0.002501, 12);
    // v1 = 0.002501 > d^2 = 1e-4, so v2 = 0.002501 - 0.01 * 1e-4 = 0.0025 (Adam would give 0.00247799)
    expect(second.state.v?.[0]).toBeCloseTo(0.0025, 9);
    expectWeights(second.weights, [1.0188216, -2.0178773, 0.5041422]);
  });

  it('FedAdagrad: v = 1e-6 + d^2 = 0.250001; x = 1 + 0.1 * 0.05 / (sqrt(0.250001) + 0.001)', () => {
    const adagrad = createStrategy({ name: 'fedadagrad' });

    const first = adagrad.step(global(), delta(), null);
    const second = adagrad.step(first.weights, smallDelta(), first.state);

    expectWeights(first.weights, [1.00998, -2.0099602, 0.5]);
    expect(first.state.v?.[0]).toBeCloseTo(0.250001, 12);
    expect(second.state.v?.[0]).toBeCloseTo(0.250101, 9);
  });

  it('leaves parameters with a zero delta unchanged in the first step', () => {
    for (const name of ['fedadam', 'fedyogi', 'fedadagrad'] as const) {
      const result = createStrategy({ name }).step(global(), delta(), null);
      expect(result.weights[2]).toBe(0.5);
    }
  });
});

describe('determinism and resumption', () => {
  it('gives bit-identical weights for identical inputs over several rounds', () => {
    const run = () => {
      const strategy = createStrategy({ name: 'fedyogi', serverLearningRate: 0.05 });
      let weights = vector(10_000, 1, 0.2);
      let state: StrategyState | null = null;
      for (let round = 0; round < 4; round += 1) {
        ({ weights, state } = strategy.step(weights, vector(10_000, 100 + round, 0.01), state));
      }
      return weights;
    };

    const a = run();
    const b = run();

    expect(modelHash(a)).toBe(modelHash(b));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('a site resuming from an encoded state gets the same model as one that never stopped', () => {
    const strategy = createStrategy({ name: 'fedadam' });
    const round1 = strategy.step(vector(1000, 7, 1), vector(1000, 8, 0.1), null);

    const straight = strategy.step(round1.weights, vector(1000, 9, 0.1), round1.state);
    const restored = decodeStrategyState(encodeStrategyState(round1.state));
    const resumed = createStrategy({ name: 'fedadam' }).step(round1.weights, vector(1000, 9, 0.1), restored);

    expect(modelHash(resumed.weights)).toBe(modelHash(straight.weights));
  });

  it('does not modify its inputs', () => {
    const strategy = createStrategy({ name: 'fedadam' });
    const g = global();
    const d = delta();
    const first = strategy.step(g, d, null);
    const mBefore = first.state.m!.slice();

    strategy.step(first.weights, d, first.state);

    expect(Array.from(g)).toEqual([1, -2, 0.5]);
    expect(first.state.m).toEqual(mBefore);
  });
});

describe('refusals', () => {
  function codeOf(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (error) {
      return HeflError.is(error) ? error.code : 'not a HeflError';
    }
    return undefined;
  }

  it('refuses a length mismatch, a foreign state and non-finite deltas', () => {
    const adam = createStrategy({ name: 'fedadam' });
    const avgState = createStrategy({ name: 'fedavg' }).step(global(), delta(), null).state;

    expect(codeOf(() => adam.step(global(), Float32Array.of(1, 2), null))).toBe('invalid_argument');
    expect(codeOf(() => adam.step(global(), delta(), avgState))).toBe('invalid_argument');
    expect(codeOf(() => adam.step(global(), Float32Array.of(Number.NaN, 0, 0), null))).toBe('invalid_data');
  });

  it('reports every config problem at once, with paths', () => {
    let message = '';
    try {
      createStrategy({ name: 'fedavg', beta1: 0.9, proximalMu: 1, serverLearningRate: -1 });
    } catch (error) {
      expect(HeflError.is(error, 'invalid_config')).toBe(true);
      message = (error as Error).message;
    }

    expect(message).toContain('strategy.serverLearningRate');
    expect(message).toContain('strategy.beta1: only applies');
    expect(message).toContain('strategy.proximalMu: only applies to fedprox');
    expect(codeOf(() => createStrategy({ name: 'sgd' }))).toBe('invalid_config');
    expect(codeOf(() => createStrategy({ name: 'fedadam', beta2: 1 }))).toBe('invalid_config');
    expect(codeOf(() => createStrategy({ name: 'fedadam', extra: 1 }))).toBe('invalid_config');
  });
});
