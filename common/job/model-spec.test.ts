import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { parameterCount, parseModelSpec } from './model-spec.js';

function problemsOf(value: unknown): string {
  try {
    parseModelSpec(value);
  } catch (error) {
    if (HeflError.is(error, 'invalid_config')) return error.message;
    throw error;
  }
  throw new Error('expected the spec to be refused');
}

describe('parseModelSpec', () => {
  it('accepts logreg and mlp specs and freezes the result', () => {
    const logreg = parseModelSpec({ kind: 'logreg' });
    const mlp = parseModelSpec({ kind: 'mlp', hidden: [32, 16], activation: 'tanh' });

    expect(logreg).toEqual({ kind: 'logreg' });
    expect(mlp).toEqual({ kind: 'mlp', hidden: [32, 16], activation: 'tanh' });
    expect(Object.isFrozen(mlp)).toBe(true);
    expect(mlp.kind === 'mlp' && Object.isFrozen(mlp.hidden)).toBe(true);
  });

  it('reports every problem at once as path: message', () => {
    const message = problemsOf({ kind: 'mlp', hidden: [0, 2000, 1.5], activation: 'sigmoid', extra: 1 });

    expect(message).toContain('spec.hidden[0]:');
    expect(message).toContain('spec.hidden[1]:');
    expect(message).toContain('spec.hidden[2]:');
    expect(message).toContain('spec.activation:');
    expect(message).toContain('extra');
  });

  it('refuses too many or too few hidden layers and unknown kinds', () => {
    expect(problemsOf({ kind: 'mlp', hidden: [], activation: 'relu' })).toContain('spec.hidden:');
    expect(problemsOf({ kind: 'mlp', hidden: [1, 2, 3, 4, 5], activation: 'relu' })).toContain(
      'spec.hidden:',
    );
    expect(problemsOf({ kind: 'forest' })).toContain('spec.kind:');
    expect(problemsOf('logreg')).toContain('spec:');
  });
});

describe('parameterCount', () => {
  it('counts kernels and biases', () => {
    expect(parameterCount({ kind: 'logreg' }, 15)).toBe(16);
    expect(parameterCount({ kind: 'mlp', hidden: [32, 16], activation: 'relu' }, 15)).toBe(
      15 * 32 + 32 + 32 * 16 + 16 + 16 + 1,
    );
  });

  it('refuses a non-positive input dimension', () => {
    expect(() => parameterCount({ kind: 'logreg' }, 0)).toThrow(HeflError);
  });
});

describe('glm model spec', () => {
  it('defaults to binomial with tolerance 1e-10, takes gaussian and poisson, refuses other families', () => {
    expect(parseModelSpec({ kind: 'glm' })).toEqual({ kind: 'glm', family: 'binomial', tolerance: 1e-10 });
    expect(parseModelSpec({ kind: 'glm', family: 'poisson', l2: 0.5 })).toEqual({
      kind: 'glm',
      family: 'poisson',
      tolerance: 1e-10,
      l2: 0.5,
    });
    expect(() => parseModelSpec({ kind: 'glm', family: 'gamma' })).toThrow(
      /spec.family: must be binomial, gaussian or poisson/,
    );
    expect(() => parseModelSpec({ kind: 'glm', l2: -1 })).toThrow(/spec.l2: must be >= 0/);
  });
});
