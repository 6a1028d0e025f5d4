import { type AuditHead, auditHeadSchema } from './audit-head.js';

/** A head is ~200 bytes of JSON; anything longer is refused before parsing (no amplification). */
const MAX_HEAD_JSON_BYTES = 512;

/**
 * Parses a signed head as it travels (`JSON {seq, hash, sig}` bytes) into a checked shape:
 * `seq` a positive integer, `hash` 64 lower-case hex, `sig` canonical base64 of 64 bytes.
 * Returns undefined for empty, oversized or malformed input (the signature is NOT checked:
 * use `verifyAuditHead` with the key of the log's owner).
 */
export function parseAuditHead(bytes: Uint8Array): AuditHead | undefined {
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_HEAD_JSON_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const parsed = auditHeadSchema.safeParse(value);
  return parsed.success ? { seq: parsed.data.seq, hash: parsed.data.hash, sig: parsed.data.sig } : undefined;
}
