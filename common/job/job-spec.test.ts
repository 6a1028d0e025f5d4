import { describe, expect, it } from 'vitest';
import { parseJobBytes, parseJobSpec } from './job-spec.js';

const minimal = { model: { kind: 'logreg' }, rounds: 3, data: { label: 'event' } };

describe('job spec', () => {
  it('fills defaults, freezes, and hashes the canonical form independent of key order', () => {
    const a = parseJobSpec(minimal);
    const b = parseJobSpec({ data: { label: 'event' }, rounds: 3, model: { kind: 'logreg' } });
    expect(a.spec.strategy.name).toBe('fedavg');
    expect(a.spec.he.profile).toBe('bgv-n2048-q54-t38/v1');
    expect(Object.isFrozen(a.spec.local)).toBe(true);
    expect(a.hash).toBe(b.hash);
    expect(parseJobBytes(a.canonical).hash).toBe(a.hash);
    expect(parseJobSpec({ ...minimal, rounds: 4 }).hash).not.toBe(a.hash);
  });

  it('reports every problem at once as path: message', () => {
    let message = '';
    try {
      parseJobSpec({
        model: { kind: 'mlp', hidden: [0] },
        rounds: 0,
        minSites: 5,
        maxSites: 2,
        he: { profile: 'x' },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const path of ['model.hidden.0', 'model.activation', 'rounds', 'he.profile', 'data']) {
      expect(message).toContain(`${path}:`);
    }
  });

  it('refuses unknown fields and malformed bytes', () => {
    expect(() => parseJobSpec({ ...minimal, extra: 1 })).toThrow(/extra|Unrecognized/);
    expect(() => parseJobBytes(new Uint8Array([0xff, 0xfe]))).toThrow(/not UTF-8 JSON/);
  });
});

describe('job spec problems', () => {
  it('says "did you mean" for a misspelt key, at any depth', () => {
    const attempt = () =>
      parseJobSpec({
        model: { kind: 'logreg' },
        rounds: 2,
        roundDeadline: 30,
        data: {
          label: 'num',
          categorial: ['cp'],
          features: [{ name: 'chol', type: 'numeric', unti: 'mg/dL' }],
        },
      });

    expect(attempt).toThrow("(root): unknown key 'roundDeadline' (did you mean 'roundDeadlineSeconds'?)");
    expect(attempt).toThrow("data: unknown key 'categorial' (did you mean 'categorical'?)");
    expect(attempt).toThrow("data.features.0: unknown key 'unti' (did you mean 'unit'?)");
  });

  it('validates declared features: unique names, not the label, a sane range', () => {
    const attempt = () =>
      parseJobSpec({
        model: { kind: 'logreg' },
        rounds: 2,
        data: {
          label: 'num',
          features: ['num', 'age', 'age', { name: 'chol', type: 'numeric', range: [700, 80] }],
        },
      });

    expect(attempt).toThrow("data.features.0: 'num' is the label");
    expect(attempt).toThrow("data.features.2: 'age' is listed twice");
    expect(attempt).toThrow('data.features.3.range: range must be [min, max] with min < max');
  });

  it('takes pairwise masks only with minSites >= 3 and a BGV profile; absent leaves the hash as before', () => {
    expect(parseJobSpec({ ...minimal, minSites: 3, he: { masks: 'pairwise' } }).spec.he.masks).toBe(
      'pairwise',
    );
    expect(() => parseJobSpec({ ...minimal, minSites: 2, he: { masks: 'pairwise' } })).toThrow(
      /he\.masks: pairwise masks need minSites >= 3/,
    );
    expect(() =>
      parseJobSpec({ ...minimal, minSites: 3, he: { profile: 'ckks-n8192-nvflare/v1', masks: 'pairwise' } }),
    ).toThrow(/he\.masks: pairwise masks need a BGV profile/);
    expect(parseJobSpec(minimal).spec.he.masks).toBeUndefined();
  });
});

describe('glm jobs', () => {
  it('refuses dp on a glm job (its exact sums pass no DP filter)', () => {
    expect(() =>
      parseJobSpec({ ...minimal, model: { kind: 'glm' }, dp: { epsilon: 1, delta: 1e-5 } }),
    ).toThrow(/dp: a glm job releases exact/);
    expect(parseJobSpec({ ...minimal, model: { kind: 'glm' } }).spec.model.kind).toBe('glm');
  });
});
