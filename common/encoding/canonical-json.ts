import { HeflError } from '../errors/index.js';

/**
 * Canonical JSON: object keys sorted recursively, no whitespace, `undefined` fields
 * dropped. Two parties that agree on a value agree on these bytes, so a hash or a
 * signature over them means the same thing everywhere. For JSON values this is RFC 8785
 * (JCS): keys ordered by UTF-16 code units, numbers as ECMAScript writes them, strings
 * escaped as JSON.stringify does (canonical-json.test.ts checks the RFC's vectors). Kept
 * rather than the `canonicalize` package: every stored signature is over these bytes.
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
