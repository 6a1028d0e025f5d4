import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS } from '../cli/program.js';

/*
 * Issue 17: "Each CLI command takes 3-7 s to start under load (TensorFlow.js and node-seal load
 * eagerly)". Commands that train or decrypt load them on use; --help and job status must not.
 * A resolve hook reports every npm package the built CLI loads.
 */

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const HOOK = new URL('./support/report-packages-hook.mjs', import.meta.url).href;
const REGISTER = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(HOOK)});`;

function packagesLoaded(...args: string[]): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', REGISTER, CLI, ...args],
      { timeout: 30_000 },
      (_e, _out, stderr) => {
        resolve([...stderr.matchAll(/^PKG (.+)$/gm)].map((m) => m[1] as string));
      },
    );
  });
}

describe('light CLI start', () => {
  it.each([[['--help']], [['job', 'status', 'job-x', '--dir', '/nonexistent-hefl-folder']]])(
    'hefl %s loads neither TensorFlow.js nor node-seal',
    async (args) => {
      const loaded = await packagesLoaded(...args);
      expect(loaded).toContain('commander'); // the hook works
      expect(loaded.filter((p) => p.startsWith('@tensorflow/') || p === 'node-seal')).toEqual([]);
    },
    30_000,
  );

  it('hefl --help loads no package but commander (each command group loads when it runs)', async () => {
    expect(await packagesLoaded('--help')).toEqual(['commander']);
  }, 30_000);

  it('hefl job status loads neither SQLite, the X.509 library, the terminal panel nor the HE and ML libraries', async () => {
    const loaded = await packagesLoaded('job', 'status', 'job-x', '--dir', '/nonexistent-hefl-folder');

    expect(loaded).toContain('@grpc/grpc-js'); // it is a gRPC call
    expect(
      loaded.filter((p) =>
        ['better-sqlite3', '@peculiar/x509', 'log-update', 'pg', 'pino', 'node-seal'].includes(p),
      ),
    ).toEqual([]);
  }, 30_000);

  it('the group list --help shows without loading the groups is the one the groups register', async () => {
    const full = await buildProgram();

    expect(full.commands.map((c) => ({ name: c.name(), description: c.description() }))).toEqual(
      COMMAND_GROUPS.map(({ name, description }) => ({ name, description })),
    );
  }, 30_000);
});
