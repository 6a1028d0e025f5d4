import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type ProcessFederation, startProcessFederation } from './support/process-federation.js';

/*
 * Issue 17: "`hefl coordinator start` twice on one folder (another port) starts a second
 * coordinator on the same SQLite state and audit log." The built CLI is run as hospital IT
 * would: the second start must refuse, name the running pid, and exit 3 (unavailable).
 */

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function hefl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const children: ChildProcess[] = [];
let fed: ProcessFederation | undefined;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await fed?.stop();
});

describe('one daemon per folder', () => {
  it('a second coordinator on a running folder refuses with the pid; after a SIGKILL the folder starts again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hefl-daemon-lock-'));
    const dir = join(root, 'coordinator');
    const init = await hefl('federation', 'init', '--dir', dir, '--id', 'lock-test', '--host', '127.0.0.1');
    expect(init.code, init.stderr).toBe(0);

    const startFirst = () => {
      const child = spawn(process.execPath, [CLI, 'coordinator', 'start', '--dir', dir, '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const listening = new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('coordinator.listening')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`first coordinator exited ${code}`)));
      });
      return { child, listening, stderr: () => stderr };
    };

    const first = startFirst();
    await first.listening;
    const second = await hefl('coordinator', 'start', '--dir', dir, '--port', '0');
    expect(second.stderr).toContain(`already running as pid ${first.child.pid}`);
    expect(second.code).toBe(3);
    expect(first.child.exitCode).toBeNull();

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const again = startFirst();
    await again.listening;
    // Ctrl-C stops it cleanly and says "interrupted" (130); systemd's SIGTERM would give 0.
    again.child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      again.child.once('exit', (c, s) => resolve([c, s])),
    );
    expect({ code, signal }, again.stderr()).toEqual({ code: 130, signal: null });
  }, 60_000);

  it('a second site node on a running site folder refuses with the pid; the first keeps running', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hefl-site-lock-'));
    fed = await startProcessFederation(root, ['st-marys'], { cli: CLI });
    const first = fed.sites.get('st-marys');
    const siteDir = fed.provisioned.siteDirs[0]!.dir;
    const second = await hefl(
      'site',
      'start',
      '--dir',
      siteDir,
      '--data',
      join(root, 'st-marys.csv'),
      '--coordinator',
      fed.address,
      '--label',
      'event',
    );
    expect(second.stderr).toContain(`already running as pid ${first?.pid}`);
    expect(second.code).toBe(3);
    expect(() => process.kill(first?.pid as number, 0)).not.toThrow();
  }, 90_000);
});
