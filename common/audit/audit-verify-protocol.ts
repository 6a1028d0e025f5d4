import type { EntryFact } from './entry-facts.js';

/** Fixed for the life of a verify worker (its `workerData`). */
export interface VerifyWorkerConfig {
  /** Key id every entry must name as signer. */
  readonly signerId: string;
  /** The trusted coordinator public key (32 bytes). */
  readonly coordinatorKey: Uint8Array;
  /** Verify every entry's signature (otherwise the ordered pass checks the head's). */
  readonly everySignature: boolean;
  /** Manifest site keys, to check the site heads the coordinator recorded. */
  readonly siteKeys: readonly Uint8Array[];
  /** Seqs whose entry hash the ordered pass compares with a head someone holds. */
  readonly headSeqs: readonly number[];
}

/** A run of whole lines (`\n`-terminated except possibly the file's last). */
export interface VerifyBatch {
  readonly id: number;
  readonly bytes: Uint8Array;
}

/** `[line within the batch (1-based), seq, hash, fact]` of an entry the ordered pass needs. */
export type VerifyItem = readonly [
  number,
  number,
  string,
  EntryFact | { readonly fault: string } | undefined,
];

export type VerifyBatchResult =
  | {
      readonly id: number;
      readonly ok: true;
      readonly lines: number;
      readonly firstSeq: number;
      readonly firstPrev: string;
      readonly lastSeq: number;
      readonly lastHash: string;
      /** Base64 signature of the batch's last entry. */
      readonly lastSig: string;
      readonly signatures: number;
      readonly items: readonly VerifyItem[];
    }
  /** Something in the batch is off; the exact sequential pass names it. */
  | { readonly id: number; readonly ok: false };
