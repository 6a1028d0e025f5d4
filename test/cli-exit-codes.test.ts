import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/* Issue 17: "`job watch ... | head` crashes with EPIPE; EADDRINUSE appears as 'unexpected error'". Built CLI. */

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function hefl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('hefl exit codes', () => {
  it('output into a reader that has gone away (| head) ends quietly with 0', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader exits before hefl writes
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  }, 30_000);

  it('a coordinator on a taken port says so and exits 3', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const dir = join(mkdtempSync(join(tmpdir(), 'hefl-port-')), 'coordinator');
      expect(
        (await hefl('federation', 'init', '--dir', dir, '--id', 'port-test', '--host', '127.0.0.1')).code,
      ).toBe(0);
      const start = await hefl('coordinator', 'start', '--dir', dir, '--port', String(port));
      expect(start.stderr).toContain(`port ${port} is already in use`);
      expect(start.stderr).not.toContain('unexpected error');
      expect(start.code).toBe(3);
    } finally {
      taken.close();
    }
  }, 40_000);
});
