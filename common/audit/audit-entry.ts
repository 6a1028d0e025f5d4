import { sha256 } from '../crypto/index.js';
import { canonicalJson } from '../encoding/canonical-json.js';

/** What the coordinator records, one action per event it decided or observed. */
export const COORDINATOR_AUDIT_ACTIONS = [
  'federation.admit',
  'federation.revoke',
  'job.submitted',
  'job.accepted',
  'job.declined',
  'job.joined',
  'job.rejoined',
  'job.excluded',
  'job.cancelled',
  'key.ceremony',
  'key.granted',
  'round.opened',
  'update.accepted',
  'update.refused',
  'round.closed',
  'round.mask-correction-requested',
  'round.mask-corrected',
  'round.reported',
  'round.invalid-reported',
  'round.aggregate-invalid',
  'round.blame',
  'job.completed',
  'job.failed',
  'model.released',
  'request.refused',
  'request.refused.repeated',
  'site-head.recorded',
  'update.lost',
  'blob.damaged',
  'job.refused',
] as const;

/** What a site records in its own log, signed by the site's key. */
export const SITE_AUDIT_ACTIONS = [
  'site.sent',
  'site.receipt',
  'site.declined',
  'site.accepted',
  'site.proof-verified',
  'site.proof-failed',
  'site.head-seen',
  'site.key-granted',
  'site.aggregate-invalid',
  'site.probe-checked',
  'site.probe-refused',
  'site.mask-refused',
  /** One per outgoing filter that ran on an update (client-node/round/run-outgoing-filters.ts). */
  'site.update-filtered',
  'site.mask-correction-sent',
  'site.mask-correction-refused',
  'site.key-commitment-mismatch',
] as const;

export type CoordinatorAuditAction = (typeof COORDINATOR_AUDIT_ACTIONS)[number];
export type SiteAuditAction = (typeof SITE_AUDIT_ACTIONS)[number];
export type AuditAction = CoordinatorAuditAction | SiteAuditAction;

export const AUDIT_ACTIONS: readonly AuditAction[] = Object.freeze([
  ...COORDINATOR_AUDIT_ACTIONS,
  ...SITE_AUDIT_ACTIONS,
]);

/** `actor` of entries the coordinator caused itself (deadlines, round closing). */
export const COORDINATOR_ACTOR = 'coordinator';

/** `prev` of the first entry of every log. */
export const GENESIS_PREV = '0'.repeat(64);

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * Facts about an event: ids, key ids, digests (hex), sizes, counts, reasons, aggregate
 * metrics. NEVER record values, model weights, updates, ciphertexts or keys (public or
 * secret): an audit log is handed to auditors and must not leak what the federation
 * protects. The writer refuses the obvious violations (see AuditLogWriter).
 * The shapes the verifier relies on are in audit-details.ts.
 */
export type AuditDetails = { readonly [key: string]: JsonValue };

/**
 * One line of an audit log (JSON, `\n`-terminated). Logs are append-only hash chains:
 * `prev` is the previous entry's `hash`, `hash` is SHA-256 over the canonical JSON of every
 * other field except `sig`, and `sig` is the log owner's Ed25519 signature over the 32 hash
 * bytes. The coordinator signs its log; each site signs its own.
 */
export interface AuditEntry {
  /** 1, 2, 3, ... without gaps. */
  readonly seq: number;
  /** ISO 8601 UTC, when the entry was written. */
  readonly time: string;
  /** Key id (`keyId(publicKey)`) of the party that caused the event, or `'coordinator'`. */
  readonly actor: string;
  readonly action: AuditAction;
  /** `seq` of the entry in the same log this one follows from (a round's `round.opened`), or null. */
  readonly cause: number | null;
  readonly details: AuditDetails;
  /** Hex `hash` of the previous entry; `GENESIS_PREV` for seq 1. */
  readonly prev: string;
  /**
   * Key id of the key that signed this entry. Not needed to verify (the verifier is given
   * the trusted key), but it lets the verifier tell "signed by another key" apart from "bad
   * signature". Covered by `hash`, so it cannot be changed without breaking the chain.
   */
  readonly signer: string;
  /** Hex SHA-256 of `canonicalJson` of all fields above. */
  readonly hash: string;
  /** Base64 Ed25519 signature (64 bytes) over the 32 bytes of `hash`. */
  readonly sig: string;
}

export type UnsignedAuditEntry = Omit<AuditEntry, 'hash' | 'sig'>;

/** SHA-256 over the canonical JSON of every field but `hash` and `sig`. */
export function auditEntryHash(entry: UnsignedAuditEntry): Uint8Array {
  const { seq, time, actor, action, cause, details, prev, signer } = entry;
  return sha256(
    new TextEncoder().encode(canonicalJson({ seq, time, actor, action, cause, details, prev, signer })),
  );
}
