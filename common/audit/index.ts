export { nativeSigner, nativeVerifier } from '../crypto/native-ed25519.js';
export { canonicalJson } from '../encoding/canonical-json.js';
export type { AuditFault } from './audit-chain-checker.js';
export {
  type RoundClosedDetails,
  type RoundReportedDetails,
  roundClosedDetails,
  roundReportedDetails,
  type SiteHeadSeenDetails,
  type SiteReceiptDetails,
  siteHeadSeenDetails,
  siteReceiptDetails,
  type UpdateAcceptedDetails,
  updateAcceptedDetails,
} from './audit-details.js';
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditDetails,
  type AuditEntry,
  auditEntryHash,
  COORDINATOR_ACTOR,
  COORDINATOR_AUDIT_ACTIONS,
  type CoordinatorAuditAction,
  GENESIS_PREV,
  type JsonValue,
  SITE_AUDIT_ACTIONS,
  type SiteAuditAction,
  type UnsignedAuditEntry,
} from './audit-entry.js';
export { type AuditHead, auditHeadMessage, verifyAuditHead } from './audit-head.js';
export { renderAuditReport } from './audit-html-report.js';
export { type AuditVerifyOptions, verifyAuditLog } from './audit-log-verifier.js';
export { type AuditFs, AuditLogWriter, type AuditRecord, type AuditSigner } from './audit-log-writer.js';
export { formatEntry, readTimeline, type TimelineFilter } from './audit-timeline.js';
export type { AuditAnchor, AuditChecks, AuditVerification, SiteLogCheck } from './audit-verification.js';
export { parseAuditEntry } from './parse-audit-entry.js';
