import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return productionFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

// Issue 14: no test-only paths in production. A site's behaviour comes from its folder, its
// flags and its policy; faults for tests are composed in by test/support/faulty-site.mjs.
describe('client-node production code', () => {
  it('reads no environment variable (so no fault or test switch)', () => {
    const files = productionFiles(ROOT);
    expect(files.length).toBeGreaterThan(50);
    const readers = files
      .filter((file) => /process\.env\b|HEFL_(FAULT|TEST)_/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(readers).toEqual([]);
  });
});
