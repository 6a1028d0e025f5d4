import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('generated protobuf code', () => {
  const out = mkdtempSync(join(tmpdir(), 'hefl-proto-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what `npm run proto` generates from the committed .proto files', () => {
    const buf = join(dirname(require.resolve('@bufbuild/buf/package.json')), 'bin', 'buf');
    execFileSync(buf, ['generate', '--output', out], { cwd: join(root, 'proto') });
    const fresh = listFiles(join(out, 'gen'))
      .map((f) => relative(out, f))
      .sort();
    const committed = listFiles(join(root, 'proto', 'gen'))
      .map((f) => relative(join(root, 'proto'), f))
      .sort();
    expect(committed).toEqual(fresh);
    for (const file of fresh) {
      const message = `proto/${file} is stale: run npm run proto`;
      expect(readFileSync(join(root, 'proto', file), 'utf8'), message).toBe(
        readFileSync(join(out, file), 'utf8'),
      );
    }
  });
});
