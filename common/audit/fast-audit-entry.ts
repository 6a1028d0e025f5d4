import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../encoding/canonical-json.js';
import { AUDIT_ACTIONS, type AuditEntry } from './audit-entry.js';

const FIELDS = ['seq', 'time', 'actor', 'action', 'cause', 'details', 'prev', 'signer', 'hash', 'sig'];
const ACTIONS = new Set<string>(AUDIT_ACTIONS);
const HEX64 = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{32}$/;
const SIG = /^[A-Za-z0-9+/]{86}==$/;
const time = z.iso.datetime({ offset: true });

/**
 * The hot-path twin of `parseAuditEntry` for verifying large logs: accepts a line only if
 * `parseAuditEntry` would (same fields, no others, same shapes; it may refuse more, e.g. an
 * unsafe integer), without building zod issues. `undefined` means "not accepted here": the
 * caller then takes the exact path, which names the problem.
 */
export function fastAuditEntry(text: string): AuditEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== FIELDS.length) return undefined;
  const e = value as Record<string, unknown>;
  for (const field of FIELDS) if (!Object.hasOwn(e, field)) return undefined;
  const { seq, actor, action, cause, details, prev, signer, hash, sig } = e;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (typeof e.time !== 'string' || !time.safeParse(e.time).success) return undefined;
  if (typeof actor !== 'string' || actor.length < 1 || actor.length > 128) return undefined;
  if (typeof action !== 'string' || !ACTIONS.has(action)) return undefined;
  if (
    cause !== null &&
    (typeof cause !== 'number' || !Number.isSafeInteger(cause) || cause < 1 || cause >= seq)
  ) {
    return undefined;
  }
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return undefined;
  if (Object.getPrototypeOf(details) !== Object.prototype || Object.hasOwn(details, '__proto__')) {
    return undefined;
  }
  if (typeof prev !== 'string' || !HEX64.test(prev)) return undefined;
  if (typeof signer !== 'string' || !KEY_ID.test(signer)) return undefined;
  if (typeof hash !== 'string' || !HEX64.test(hash)) return undefined;
  if (typeof sig !== 'string' || !SIG.test(sig) || Buffer.from(sig, 'base64').toString('base64') !== sig) {
    return undefined;
  }
  return value as AuditEntry;
}

/**
 * `auditEntryHash` with the top level written out (its keys in canonical order: action,
 * actor, cause, details, prev, seq, signer, time) and node:crypto hashing the string
 * directly: the same bytes, so the same digest (fast-audit-entry.test.ts compares them).
 */
export function fastEntryHash(entry: AuditEntry): Buffer {
  const s = JSON.stringify;
  const text = `{"action":${s(entry.action)},"actor":${s(entry.actor)},"cause":${s(entry.cause)},"details":${canonicalJson(entry.details)},"prev":${s(entry.prev)},"seq":${s(entry.seq)},"signer":${s(entry.signer)},"time":${s(entry.time)}}`;
  return createHash('sha256').update(text, 'utf8').digest();
}
