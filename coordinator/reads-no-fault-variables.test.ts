import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
/** Production folders that must read no fault-injection variable (client-node and cli join once theirs are gone). */
const FOLDERS = ['coordinator', 'common'];
/** The prefixes of hefl's fault and test variables, spelt in pieces so this file is no hit of its own. */
const FAULT_VARIABLE = new RegExp(['HEFL', '(FAULT|TEST)', ''].join('_'));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('production code reads no fault-injection variable', () => {
  it('no fault or test variable of hefl is read in coordinator/ or common/ (tests inject faults: test/support/daemon-faults.ts)', () => {
    const hits = FOLDERS.flatMap((folder) => sources(join(ROOT, folder)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ file: relative(ROOT, file), line: i + 1, text: line }))
          .filter(({ text }) => FAULT_VARIABLE.test(text)),
      )
      .map(({ file, line }) => `${file}:${line}`);
    expect(hits).toEqual([]);
  });
});
