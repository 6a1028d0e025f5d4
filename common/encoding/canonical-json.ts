import { HeflError } from '../errors/index.js';

/**
 * Canonical JSON: object keys sorted recursively, no whitespace, `undefined` fields
 * dropped. Two parties that agree on a value agree on these bytes, so a hash or a
 * signature over them means the same thing everywhere.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new HeflError('invalid_argument', 'canonical JSON cannot hold a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new HeflError('invalid_argument', `canonical JSON cannot hold a ${typeof value}`);
}
