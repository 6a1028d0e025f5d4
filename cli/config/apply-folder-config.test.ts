import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliError } from '../../test/support/run-cli.js';
import { readFolderConfig } from './folder-config.js';

/** The status port `hefl coordinator status` tried, from its "cannot reach" message. */
async function portTried(...args: string[]): Promise<string> {
  const error = await runCliError('coordinator', 'status', ...args);
  expect(error.code).toBe('unavailable');
  return /127\.0\.0\.1:(\d+)/.exec(error.message)?.[1] ?? `no port in: ${error.message}`;
}

describe('folder config (hefl.yaml) and HEFL_* variables', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-config-'));
  });
  afterEach(async () => {
    for (const key of Object.keys(process.env))
      if (key.startsWith('HEFL_') && !(key in saved)) delete process.env[key];
    await rm(dir, { recursive: true, force: true });
  });

  it('a flag beats HEFL_*, which beats hefl.yaml in the folder', async () => {
    await writeFile(join(dir, 'hefl.yaml'), 'version: 1\nmetricsPort: 1\n');

    const fromFile = await portTried('--dir', dir);
    process.env.HEFL_METRICS_PORT = '2';
    const fromEnv = await portTried('--dir', dir);
    const fromFlag = await portTried('--dir', dir, '--metrics-port', '3');

    expect([fromFile, fromEnv, fromFlag]).toEqual(['1', '2', '3']);
  });

  it('HEFL_DIR names the folder when --dir is not given', async () => {
    await writeFile(join(dir, 'hefl.yaml'), 'version: 1\nmetricsPort: 4\n');
    process.env.HEFL_DIR = dir;

    expect(await portTried()).toBe('4');
  });

  it('a bad value is reported with the file and the key, like a bad flag', async () => {
    await writeFile(join(dir, 'hefl.yaml'), 'version: 1\nmetricsPort: lots\nnotAKey: 1\n');

    const error = await runCliError('coordinator', 'status', '--dir', dir);

    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain(join(dir, 'hefl.yaml'));
    expect(error.message).toContain('notAKey');
  });

  it('hefl site enroll writes the coordinator address, data input and log level into the folder config', async () => {
    const site = join(dir, 'site');

    await runCli(
      'site',
      'enroll',
      '--dir',
      site,
      '--id',
      'st-marys',
      '--coordinator',
      'coord.example.org:7443',
      '--data',
      '/data/cardiology.csv',
      '--label',
      'event',
    );

    expect(await readFolderConfig(site)).toEqual({
      coordinator: 'coord.example.org:7443',
      data: '/data/cardiology.csv',
      label: 'event',
      logLevel: 'info',
    });
    expect(await readFile(join(site, 'hefl.yaml'), 'utf8')).toContain(
      'A flag overrides a HEFL_* environment variable',
    );
  });
});
