import type { AuditFault } from './audit-chain-checker.js';

/**
 * Where the coordinator key a verification trusted came from. Only `unanchored` means the
 * key came from the files under audit (the manifest vouching for itself): such a result
 * shows that log and manifest agree, not that they are the federation's, since whoever
 * replaced key, manifest and log together passes. Reports must say so wherever they say
 * "intact".
 */
export interface AuditAnchor {
  /**
   * `pinned`: an admitted member's folder (`coordinator.json` pinned at enrolment);
   * `key`: a coordinator public key given on the command line or by the caller;
   * `key-id`: a key id given with the federation id, the key read from a manifest the
   * anchored key signed; `unanchored`: nothing outside the files.
   */
  readonly kind: 'pinned' | 'key' | 'key-id' | 'unanchored';
  /** What the auditor stated: a file path or the option used. */
  readonly source: string;
  /** The federation the anchor names (absent for a bare key). */
  readonly federationId?: string;
  /** The manifest checked against the anchor, if one was given. */
  readonly manifest?: string;
}

/** One site log that was read and what was established about it. */
export interface SiteLogCheck {
  readonly file: string;
  /** Key id that signed the site log (the site). */
  readonly signer: string;
  /** Entries whose chain verified. */
  readonly entries: number;
  /** True when every entry signature was checked against a manifest site key. */
  readonly signaturesChecked: boolean;
  /**
   * The seq of the site's own signed head that the coordinator recorded and that this log
   * was found to reach with the same hash; absent when the coordinator recorded none.
   */
  readonly headChecked?: number;
}

/** What a verification looked at: counts are of things actually checked, not of entries seen. */
export interface AuditChecks {
  /** The coordinator log. */
  readonly log: string;
  /** Key id of the coordinator key every entry had to be signed by. */
  readonly coordinatorKeyId: string;
  /**
   * `every`: each entry's Ed25519 signature was verified. `head`: every entry's hash was
   * recomputed and linked to the next, and the signature of the last entry (the head) was
   * verified: it covers every earlier entry through the chain (SHA-256), so any altered,
   * inserted or re-hashed entry fails; a damaged signature field on an otherwise intact
   * entry is not looked at.
   */
  readonly signatureMode: 'every' | 'head';
  /** Coordinator entry signatures verified. */
  readonly signatures: number;
  /** Entries whose hash was recomputed and whose prev link and seq followed the one before. */
  readonly chainLinks: number;
  /** Rounds (`round.closed`) whose Merkle root was recomputed from its digests and matched. */
  readonly merkleRoots: number;
  /** Site receipts (from site logs) found among the leaves of their round's Merkle root. */
  readonly receipts: number;
  readonly siteLogs: readonly SiteLogCheck[];
  readonly researcherRecords: readonly string[];
  /** Signed coordinator heads held by sites or researchers, checked against the log. */
  readonly coordinatorHeadsCrossChecked: number;
  /** Signed site heads the coordinator recorded, checked against the given site logs. */
  readonly siteHeadsCrossChecked: number;
}

interface VerificationBase {
  /** Coordinator log entries found intact (before the fault, if any). */
  readonly entries: number;
  readonly warnings: readonly string[];
  readonly anchor: AuditAnchor;
  /** Key id (fingerprint) of the coordinator key trusted. */
  readonly coordinatorKeyId: string;
  /** The federation id of the anchor or anchored manifest, when known. */
  readonly federationId?: string;
  /** What was checked (up to the fault, when there is one). */
  readonly checked: AuditChecks;
}

/**
 * The result of `verifyAuditLog`: `ok` with the head (`lastSeq`, `lastHash`: the hex hash of
 * the last entry, which a report quotes) or the first fault. This type is read by the HTML
 * report (`hefl audit export --html`); fields are only ever added.
 */
export type AuditVerification =
  | (VerificationBase & {
      readonly ok: true;
      readonly lastSeq: number;
      /** Hex hash of the head entry. */
      readonly lastHash: string;
    })
  | (VerificationBase & {
      readonly ok: false;
      readonly firstBad: AuditFault;
    });
