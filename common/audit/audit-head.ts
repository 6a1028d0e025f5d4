import { z } from 'zod';
import { canonicalJson } from '../encoding/canonical-json.js';

/**
 * A signed head of a log: "my log had reached `seq` with entry hash `hash`", signed by the
 * log owner. Sites record the coordinator's heads they see (`site.head-seen`), so a
 * coordinator that later truncates or rewrites its log is contradicted by its own signature.
 */
export interface AuditHead {
  readonly seq: number;
  /** Hex hash of entry `seq`. */
  readonly hash: string;
  /** Base64 Ed25519 signature over `auditHeadMessage(seq, hash)`. */
  readonly sig: string;
}

/**
 * The bytes a head signature covers. Domain-separated, and never 32 bytes long, so a head
 * signature cannot pass for an entry signature (which covers a bare 32-byte hash) or vice versa.
 */
export function auditHeadMessage(seq: number, hash: string): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ kind: 'hefl.v1/audit-head', seq, hash }));
}

/** True only if `head.sig` is a valid signature by the `verify` key over seq and hash. */
export function verifyAuditHead(
  head: AuditHead,
  verify: (message: Uint8Array, signature: Uint8Array) => boolean,
): boolean {
  return verify(auditHeadMessage(head.seq, head.hash), Buffer.from(head.sig, 'base64'));
}

/** The shape of a head as recorded in audit details (`site.head-seen`, `siteHead`, researcher records). */
export const auditHeadSchema = z.object({
  seq: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex SHA-256 digest'),
  sig: z
    .string()
    .regex(/^[A-Za-z0-9+/]{86}==$/, 'expected base64 of a 64-byte signature')
    .refine((s) => Buffer.from(s, 'base64').toString('base64') === s, 'expected canonical base64'),
});
