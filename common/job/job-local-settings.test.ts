import { describe, expect, it } from 'vitest';
import { parseJobSpec } from './job-spec.js';

const base = {
  model: { kind: 'logreg' },
  rounds: 15,
  data: { label: 'num' },
  local: { steps: 100, batchSize: 4, learningRate: 0.001, optimizer: 'sgd' },
};

describe('a job states its local optimiser, step count, initialisation and scaling', () => {
  it('FLamby settings parse as stated: 100 local steps, SGD, lr 0.001, batch 4, PyTorch init, per-site scaling', () => {
    const { spec } = parseJobSpec({
      ...base,
      model: { kind: 'logreg', init: 'pytorch-linear' },
      data: { label: 'num', scaling: 'per-site' },
    });

    expect(spec.local).toEqual({ steps: 100, batchSize: 4, learningRate: 0.001, optimizer: 'sgd' });
    expect(spec.model).toEqual({ kind: 'logreg', init: 'pytorch-linear' });
    expect(spec.data.scaling).toBe('per-site');
  });

  it('the job hash covers every one of them', () => {
    const hash = parseJobSpec(base).hash;
    const variants = [
      { ...base, local: { ...base.local, optimizer: 'adam' } },
      { ...base, local: { ...base.local, learningRate: 0.01 } },
      { ...base, local: { ...base.local, batchSize: 8 } },
      { ...base, local: { ...base.local, steps: 101 } },
      { ...base, local: { epochs: 1, batchSize: 4, learningRate: 0.001, optimizer: 'sgd' } },
      { ...base, model: { kind: 'logreg', init: 'pytorch-linear' } },
      { ...base, model: { kind: 'logreg', init: 'glorot-uniform' } },
      { ...base, data: { label: 'num', scaling: 'per-site' } },
    ];
    const hashes = variants.map((v) => parseJobSpec(v).hash);

    expect(new Set([hash, ...hashes]).size).toBe(variants.length + 1);
  });

  it('a job without init or scaling keeps its canonical form (older job hashes do not change)', () => {
    const text = new TextDecoder().decode(parseJobSpec(base).canonical);

    expect(text).not.toContain('init');
    expect(text).not.toContain('scaling');
  });

  it('refuses steps with epochs, an unknown init or optimiser, and per-site scaling for a glm', () => {
    const problems = (value: unknown) => {
      try {
        parseJobSpec(value);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };

    expect(problems({ ...base, local: { ...base.local, epochs: 2 } })).toContain(
      'local.steps: set epochs or steps, not both',
    );
    expect(problems({ ...base, model: { kind: 'logreg', init: 'he-normal' } })).toContain('model.init');
    expect(problems({ ...base, local: { ...base.local, optimizer: 'rmsprop' } })).toContain(
      'local.optimizer',
    );
    expect(
      problems({ ...base, model: { kind: 'glm' }, data: { label: 'num', scaling: 'per-site' } }),
    ).toContain('data.scaling: a glm job fits one shared design');
  });
});
