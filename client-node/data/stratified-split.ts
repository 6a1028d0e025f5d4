import { HeflError } from '../../common/errors/index.js';
import { createSeededRandom, shuffleInPlace } from '../../common/random/index.js';

/** Row indices of a train/test split, each ascending. */
export interface SplitIndices {
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

/**
 * Splits rows into train and test per class so both keep the site's label rate (FLamby uses
 * 0.34). Each class is shuffled with a generator seeded by `seed`, so the split is the same
 * on every run. A class with n >= 2 rows gets round(n * testFraction) test rows, clamped to
 * [1, n - 1]; a class with one row goes to train. Throws `invalid_argument` when
 * `testFraction` is not strictly between 0 and 1.
 */
export function stratifiedSplit(labels: Uint8Array, testFraction: number, seed: number): SplitIndices {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new HeflError('invalid_argument', 'testFraction must be strictly between 0 and 1');
  }
  const random = createSeededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, row) => {
    const rows = byClass.get(label);
    if (rows === undefined) byClass.set(label, [row]);
    else rows.push(row);
  });

  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffleInPlace(byClass.get(label)!, random) as number[];
    const n = rows.length;
    const testCount = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
    test.push(...rows.slice(0, testCount));
    train.push(...rows.slice(testCount));
  }
  return {
    train: Uint32Array.from(train).sort(),
    test: Uint32Array.from(test).sort(),
  };
}
