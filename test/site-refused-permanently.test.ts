import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { type ProcessFederation, startProcessFederation } from './support/process-federation.js';

/*
 * Issue 17: "A revoked site ... retried forever at info level ..., never exiting". A revoked
 * site is told so by the coordinator; no retry can change that, so the built CLI's
 * `hefl site start` logs the reason at error level and exits 1 (systemd must not restart-loop).
 */

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

let fed: ProcessFederation | undefined;
afterAll(async () => {
  await fed?.stop();
});

describe('a site the coordinator refuses for good', () => {
  it('a revoked site exits 1 within 30 s, saying it is revoked and what to do', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hefl-revoked-site-'));
    fed = await startProcessFederation(root, [], { cli: CLI, hospitals: 1 });
    // Admit one site through the real CLI steps, then revoke it before it ever starts.
    const siteDir = join(root, 'st-marys');
    const run = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [CLI, ...args], { cwd: root, timeout: 30_000 }, (e, out, err) =>
          e ? reject(new Error(`${args.join(' ')}: ${err}`)) : resolve(out),
        ),
      );
    await run('site', 'enroll', '--dir', siteDir, '--id', 'st-marys');
    await run(
      'federation',
      'admit',
      join(siteDir, 'enrolment-request.json'),
      '--dir',
      fed.provisioned.coordinatorDir,
      '--out',
      join(root, 'admission.json'),
    );
    await run('site', 'install-admission', join(root, 'admission.json'), '--dir', siteDir);
    await run('federation', 'revoke', 'st-marys', '--dir', fed.provisioned.coordinatorDir);

    const csv = join(root, 'st-marys.csv');
    writeFileSync(csv, generateSyntheticHospitals({ sites: 1, seed: 3 })[0]!.csv);
    const started = Date.now();
    const site = spawn(
      process.execPath,
      [
        CLI,
        'site',
        'start',
        '--dir',
        siteDir,
        '--data',
        csv,
        '--coordinator',
        fed.address,
        '--label',
        'event',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    site.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    site.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        site.kill('SIGKILL');
        resolve(null);
      }, 30_000);
      site.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, `stdout: ${stdout.slice(-1000)}`).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(stderr).toContain('revoked');
    const refusal = stdout.split('\n').find((l) => l.includes('site.refused-permanently'));
    expect(JSON.parse(refusal as string)).toMatchObject({
      level: 50,
      reason: expect.stringContaining('revoked'),
    });
  }, 120_000);
});
