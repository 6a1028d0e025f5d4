import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeflError } from '../errors/index.js';
import { writePublicFile } from '../identity/key-files.js';

/**
 * The version of what hefl keeps in a coordinator's or member's folder (file layout,
 * manifest and admission formats, SQLite schema, audit log format) and of the wire
 * protocol (`hefl.v1`). It goes up when a release writes something an older release
 * would misread; an older hefl then refuses the folder instead of guessing (README
 * "State version"). Version 1: everything up to and including hefl 0.1.0.
 */
export const STATE_VERSION = 1;

/** The file naming the state version in a folder: `{ "stateVersion": N }`. */
export const STATE_VERSION_FILE = 'hefl-state.json';

/**
 * Refuses (`invalid_config`, exit code 2) a folder written by a newer hefl, before anything
 * in it is read or changed; otherwise records this hefl's version in it if missing (a
 * folder from before the file existed is version 1). A file that is not a version record
 * is `invalid_config` too: the folder is not guessed at.
 */
export async function ensureStateVersion(dir: string, understood = STATE_VERSION): Promise<void> {
  const path = join(dir, STATE_VERSION_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HeflError('invalid_config', `cannot read ${path}`, { cause: error });
    }
    await writeStateVersion(dir, understood);
    return;
  }
  const found = parseStateVersion(text, path);
  if (found > understood) {
    throw new HeflError(
      'invalid_config',
      `${dir}: this folder was written by hefl state version ${found}; this hefl understands up to ${understood}; upgrade hefl`,
    );
  }
}

/** Writes the version record of a new folder (`hefl federation init`, `hefl site enroll`). */
export async function writeStateVersion(dir: string, version = STATE_VERSION): Promise<void> {
  await writePublicFile(join(dir, STATE_VERSION_FILE), `${JSON.stringify({ stateVersion: version })}\n`, {
    overwrite: true,
  });
}

function parseStateVersion(text: string, path: string): number {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HeflError('invalid_config', `${path} is not valid JSON`, { cause: error });
  }
  const version = (value as { stateVersion?: unknown } | null)?.stateVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new HeflError('invalid_config', `${path}: stateVersion must be a positive integer`);
  }
  return version;
}
