import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { stratifiedSplit } from './stratified-split.js';

function labelsWith(negatives: number, positives: number): Uint8Array {
  return Uint8Array.from({ length: negatives + positives }, (_, i) =>
    i % 2 === 1 && i < 2 * positives ? 1 : 0,
  );
}

function count(labels: Uint8Array, rows: Uint32Array, label: number): number {
  return [...rows].filter((r) => labels[r] === label).length;
}

describe('stratifiedSplit', () => {
  it('keeps each class proportion and covers every row exactly once', () => {
    const labels = labelsWith(70, 30);

    const { train, test } = stratifiedSplit(labels, 0.34, 1);

    expect(count(labels, test, 0)).toBe(24);
    expect(count(labels, test, 1)).toBe(10);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const labels = labelsWith(60, 40);

    const a = stratifiedSplit(labels, 0.3, 5);
    const b = stratifiedSplit(labels, 0.3, 5);
    const c = stratifiedSplit(labels, 0.3, 6);

    expect(b.test).toEqual(a.test);
    expect(c.test).not.toEqual(a.test);
  });

  it('puts at least one example of a small class in test and keeps one in train', () => {
    const labels = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);

    const { train, test } = stratifiedSplit(labels, 0.1, 2);

    expect(count(labels, test, 1)).toBe(1);
    expect(count(labels, train, 1)).toBe(1);
  });

  it('leaves a single-example class in train', () => {
    const labels = Uint8Array.from([0, 0, 0, 0, 1]);

    const { train, test } = stratifiedSplit(labels, 0.5, 3);

    expect(count(labels, train, 1)).toBe(1);
    expect(count(labels, test, 1)).toBe(0);
  });

  it('refuses a test fraction outside (0, 1)', () => {
    for (const fraction of [0, 1, -0.2, Number.NaN]) {
      expect(() => stratifiedSplit(labelsWith(5, 5), fraction, 1)).toThrow(HeflError);
    }
  });
});
