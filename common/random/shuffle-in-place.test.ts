import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './seeded-random.js';
import { shuffleInPlace } from './shuffle-in-place.js';

describe('shuffleInPlace', () => {
  it('permutes a typed array without losing or duplicating elements', () => {
    const items = Uint32Array.from({ length: 50 }, (_, i) => i);

    shuffleInPlace(items, createSeededRandom(5));

    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...items]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('is deterministic for a seed', () => {
    const a = shuffleInPlace(['a', 'b', 'c', 'd', 'e', 'f'], createSeededRandom(9));
    const b = shuffleInPlace(['a', 'b', 'c', 'd', 'e', 'f'], createSeededRandom(9));

    expect(b).toEqual(a);
  });

  it('puts every element in every position with similar frequency', () => {
    const random = createSeededRandom(1);
    const firstCounts = [0, 0, 0, 0];

    for (let i = 0; i < 8_000; i++) firstCounts[shuffleInPlace([0, 1, 2, 3], random)[0]!]! += 1;

    for (const count of firstCounts) expect(Math.abs(count - 2_000)).toBeLessThan(200);
  });
});
