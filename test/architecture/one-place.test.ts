import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, sourceFiles } from './import-graph.js';

const PRODUCTION = ['common', 'coordinator', 'client-node', 'cli', 'experiments'];

/** Production files (tests excluded) whose text matches `pattern`, except `home`. */
function filesSpelling(pattern: RegExp, home: string): string[] {
  return sourceFiles(REPOSITORY_ROOT, PRODUCTION)
    .filter((file) => !file.endsWith('.test.ts') && file !== home)
    .filter((file) => pattern.test(readFileSync(join(REPOSITORY_ROOT, file), 'utf8')));
}

describe('one place per concern', () => {
  it('the operator-log function type is spelled once (common/log/event-log.ts)', () => {
    const inline = /\(\s*\w+\s*:\s*string\s*,\s*\w+\??\s*:\s*Record<string,\s*unknown>\s*\)\s*=>\s*void/;
    expect(filesSpelling(inline, 'common/log/event-log.ts')).toEqual([]);
  });
});
