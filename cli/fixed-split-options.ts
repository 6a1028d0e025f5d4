import { resolve } from 'node:path';
import { HeflError } from '../common/errors/index.js';

/** A site's fixed train/test split, as `SiteDataSource` takes it (both absent: the job's seeded split). */
export interface FixedSplitOptions {
  readonly splitColumn?: string;
  readonly testPath?: string;
}

/**
 * `--split-column` and `--test-data` as a fixed split: at most one of them (usage error,
 * exit 2, otherwise); the test file's path made absolute.
 */
export function fixedSplitOptions(opts: { splitColumn?: string; testData?: string }): FixedSplitOptions {
  if (opts.splitColumn !== undefined && opts.testData !== undefined) {
    throw new HeflError('invalid_argument', 'give --split-column or --test-data, not both');
  }
  if (opts.splitColumn !== undefined) {
    const column = opts.splitColumn.trim();
    if (column === '') throw new HeflError('invalid_argument', '--split-column needs a column name');
    return { splitColumn: column };
  }
  return opts.testData !== undefined ? { testPath: resolve(opts.testData) } : {};
}
