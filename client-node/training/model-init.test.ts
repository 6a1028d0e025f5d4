import { describe, expect, it } from 'vitest';
import { parseModelSpec, weightLayoutOf } from '../../common/job/model-spec.js';
import { initialWeights } from './model-builder.js';

const FAN_IN = 13;

describe('round-0 initialisation named by the job', () => {
  it('pytorch-linear draws kernel and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as nn.Linear does', () => {
    const spec = parseModelSpec({ kind: 'logreg', init: 'pytorch-linear' });

    const weights = initialWeights(spec, FAN_IN, 3);

    const bound = 1 / Math.sqrt(FAN_IN);
    const [kernel, bias] = weightLayoutOf(spec, FAN_IN);
    const values = Array.from(weights);
    expect(values.every((w) => Math.abs(w) <= bound)).toBe(true);
    expect(weights[bias!.offset]).not.toBe(0);
    // Spread over the interval (not Glorot's wider sqrt(6/14) = 0.65 bound, not all near 0).
    const k = values.slice(kernel!.offset, kernel!.offset + kernel!.size);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(bound / 2);
  });

  it('glorot-uniform (and no init) keeps zero biases and a wider kernel bound', () => {
    const plain = initialWeights(parseModelSpec({ kind: 'logreg' }), FAN_IN, 3);
    const glorot = initialWeights(parseModelSpec({ kind: 'logreg', init: 'glorot-uniform' }), FAN_IN, 3);

    expect(Array.from(glorot)).toEqual(Array.from(plain));
    expect(plain[FAN_IN]).toBe(0);
    expect(Math.max(...Array.from(plain).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (FAN_IN + 1)));
    expect(Math.max(...Array.from(plain).map(Math.abs))).toBeGreaterThan(1 / Math.sqrt(FAN_IN));
  });

  it('is a function of the seed: same seed same weights, another seed other weights (every site derives it)', () => {
    const spec = parseModelSpec({ kind: 'mlp', hidden: [4], activation: 'relu', init: 'pytorch-linear' });

    const a = initialWeights(spec, FAN_IN, 5);
    const b = initialWeights(spec, FAN_IN, 5);
    const c = initialWeights(spec, FAN_IN, 6);

    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const [, , kernel2] = weightLayoutOf(spec, FAN_IN);
    // Second layer: fan_in 4, bound 0.5.
    const second = Array.from(a.subarray(kernel2!.offset));
    expect(second.every((w) => Math.abs(w) <= 0.5)).toBe(true);
  });
});
