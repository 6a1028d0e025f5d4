import type { SiteAuditAction } from '../common/audit/audit-entry.js';
import { verifyAuditHead } from '../common/audit/audit-head.js';
import type { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { parseAuditHead } from '../common/audit/parse-audit-head.js';
import { keyId } from '../common/crypto/index.js';
import { nativeVerifier } from '../common/crypto/native-ed25519.js';

export type { SiteAuditAction };

/**
 * The site's own record of what it did and what it was told — decisions and their
 * reasons, updates sent, receipts, Merkle-proof checks, and the coordinator's signed
 * log heads — so a site can prove its side without trusting the coordinator's copy,
 * and a truncated coordinator log is detectable. Never values, weights or keys.
 */
export interface SiteAudit {
  record(action: SiteAuditAction, details: Record<string, unknown>): void;
  /** Records a signed head of the coordinator's log if it verifies (ignored otherwise, and said so). */
  recordHead(headJson: Uint8Array, coordinatorKey: Uint8Array): void;
  /**
   * This log's own signed head (JSON {seq, hash, sig}; empty before the first entry or without
   * a log). Sent in the hello and with reports: the coordinator records it, so this site
   * cannot later drop the tail of its log or rewrite it unnoticed.
   */
  headJson(): Uint8Array;
}

/** The site's audit log file (`<site dir>/audit.jsonl`), signed with the site's key and fsynced per entry. */
export class FileSiteAudit implements SiteAudit {
  private readonly actor: string;
  private lastHeadSeq = 0;

  constructor(
    private readonly writer: AuditLogWriter,
    signingPublicKey: Uint8Array,
  ) {
    this.actor = keyId(signingPublicKey);
  }

  record(action: SiteAuditAction, details: Record<string, unknown>): void {
    this.writer.append({ actor: this.actor, action, cause: null, details: details as never });
  }

  recordHead(headJson: Uint8Array, coordinatorKey: Uint8Array): void {
    const head = parseAuditHead(headJson);
    if (!head || head.seq <= this.lastHeadSeq) return;
    if (!verifyAuditHead(head, nativeVerifier(coordinatorKey))) {
      this.record('site.proof-failed', {
        reason: `coordinator log head ${head.seq} carries a bad signature`,
      });
      return;
    }
    this.lastHeadSeq = head.seq;
    this.record('site.head-seen', { seq: head.seq, hash: head.hash, sig: head.sig });
  }

  headJson(): Uint8Array {
    const head = this.writer.head();
    return head.seq === 0 ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(head));
  }
}

/** For harnesses that keep no site log. */
export const noSiteAudit: SiteAudit = Object.freeze({
  record() {},
  recordHead() {},
  headJson: () => new Uint8Array(),
});
