import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { ensureStateVersion, STATE_VERSION, STATE_VERSION_FILE } from './state-version.js';

const folder = () => mkdtempSync(join(tmpdir(), 'hefl-state-'));

describe('ensureStateVersion', () => {
  it('records the current version in a folder that has none', async () => {
    const dir = folder();

    await ensureStateVersion(dir);

    expect(JSON.parse(readFileSync(join(dir, STATE_VERSION_FILE), 'utf8'))).toEqual({
      stateVersion: STATE_VERSION,
    });
  });

  it('accepts its own and older versions', async () => {
    const dir = folder();
    writeFileSync(join(dir, STATE_VERSION_FILE), '{"stateVersion":1}');

    await expect(ensureStateVersion(dir, 2)).resolves.toBeUndefined();
  });

  it('refuses a folder written by a newer hefl, saying which versions and what to do (exit code 2)', async () => {
    const dir = folder();
    writeFileSync(join(dir, STATE_VERSION_FILE), `{"stateVersion":${STATE_VERSION + 1}}`);

    const error = await ensureStateVersion(dir).catch((e: unknown) => e);

    expect(HeflError.is(error, 'invalid_config')).toBe(true);
    expect((error as Error).message).toBe(
      `${dir}: this folder was written by hefl state version ${STATE_VERSION + 1}; this hefl understands up to ${STATE_VERSION}; upgrade hefl`,
    );
  });

  it('refuses a version file it cannot read as one', async () => {
    const dir = folder();
    writeFileSync(join(dir, STATE_VERSION_FILE), '{"stateVersion":"two"}');

    await expect(ensureStateVersion(dir)).rejects.toThrow(/stateVersion must be a positive integer/);
  });
});
