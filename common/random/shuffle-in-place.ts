import type { RandomSource } from './seeded-random.js';

/** Minimal writable indexed collection: plain arrays and typed arrays both qualify. */
export interface MutableIndexed<T> {
  length: number;
  [index: number]: T;
}

/** Fisher-Yates shuffle driven by `random`; returns the same collection for chaining. */
export function shuffleInPlace<T>(items: MutableIndexed<T>, random: RandomSource): MutableIndexed<T> {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
