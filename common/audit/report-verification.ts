/** One input file of a report, named so an auditor can check that the report is about it. */
export interface ReportSourceFile {
  /** What it is: `coordinator log`, `site log`, `researcher record`, `manifest`, `trust anchor`. */
  readonly role: string;
  readonly path: string;
  /** Size in bytes and lower-case hex SHA-256 of the whole file; absent if it could not be read. */
  readonly bytes?: number;
  readonly sha256?: string;
}

/** Where verification stopped: the first fault, and the line it is about as the file holds it. */
export interface ReportFault {
  readonly file: string;
  /** 1-based; absent for a fault about a whole file (a manifest the anchor refuses). */
  readonly line?: number;
  readonly seq?: number;
  readonly reason: string;
  /** The raw line (cut to `MAX_FAULT_LINE_CHARS`); absent when the file ends before it. */
  readonly text?: string;
}

/**
 * What the audit report says about its own verification. `verified` only when
 * `verifyAuditLog` passed against a trust anchor the auditor stated; `failed` when it (or the
 * manifest check) found a fault; `not verified` when nothing could be checked (no anchor).
 * The report never calls itself verified otherwise.
 */
export type ReportVerification = {
  /** How the coordinator key was anchored, e.g. `--auditor-dir auditor/ (pinned coordinator.json)`. */
  readonly anchor?: string;
  /** The anchored coordinator key: hex Ed25519 public key and its key id (the fingerprint members compare). */
  readonly coordinatorKey?: { readonly publicKey: string; readonly keyId: string };
  /** The federation the anchor or the checked manifest names. */
  readonly federationId?: string;
  readonly files: readonly ReportSourceFile[];
  readonly warnings: readonly string[];
} & (
  | {
      readonly status: 'verified';
      readonly entries: number;
      readonly lastSeq: number;
      /** Hash of the last entry: the head the whole log is bound to. */
      readonly headHash: string;
      /** What was checked, one sentence each (signatures, chain, Merkle roots, site logs, ...). */
      readonly checked: readonly string[];
    }
  | { readonly status: 'failed'; readonly fault: ReportFault }
  | { readonly status: 'not verified'; readonly reason: string }
);

/** Longest failing line the report quotes (a log line can be long; the file holds the rest). */
export const MAX_FAULT_LINE_CHARS = 4000;
