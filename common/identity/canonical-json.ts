import { HeflError } from '../errors/index.js';

/**
 * Deterministic JSON for signing: object keys sorted by code unit, no whitespace, arrays in
 * order. Signer and verifier both canonicalise the JSON value they hold, so a file that was
 * pretty-printed or had its keys reordered still verifies, while any change of content does
 * not. Only JSON values are accepted (no undefined, functions, non-finite numbers).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new HeflError('invalid_argument', 'non-finite number in signed JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  throw new HeflError('invalid_argument', `a ${typeof value} cannot be part of signed JSON`);
}
