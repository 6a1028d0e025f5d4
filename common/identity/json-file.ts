import { readFile } from 'node:fs/promises';
import { HeflError } from '../errors/index.js';

/** Reads and parses a JSON file; `not_found` if missing, `invalid_argument` if unreadable or not JSON. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'invalid_argument';
    throw new HeflError(code, `cannot read ${what} ${path}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HeflError('invalid_argument', `${what} ${path} is not valid JSON`, { cause: error });
  }
}

/** Pretty JSON with a trailing newline, as every hefl identity file is written. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
