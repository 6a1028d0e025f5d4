import type { RoundLengths } from '../../common/fl/round-lengths.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { KeyGrant } from './key-grants.js';

/** A job's own fields as persisted (everything else hangs off it by job id). */
export interface StoredJob {
  readonly id: string;
  readonly specJson: Uint8Array;
  readonly submittedBy: string;
  readonly researcherSealingKey: Uint8Array;
  readonly submission: SignedEnvelope;
  readonly state: string;
  readonly reason: string;
  readonly accepted: readonly string[];
  readonly offeredTo: readonly string[];
  readonly dealer: string | undefined;
  readonly keyBundle: SignedEnvelope | undefined;
  /** The layout fixed when recruiting ended (`{"statsLength":n,"parameterCount":m}`), decoded with a check at restore. */
  readonly roundLayoutJson?: string;
}

export interface StoredRound {
  readonly round: number;
  readonly participants: readonly string[];
  readonly openedAt: number;
  readonly deadline: number;
  readonly state: string;
  readonly closedAt: number | undefined;
  readonly layoutJson: string | undefined;
  readonly absentJson: string;
  readonly summary: SignedEnvelope | undefined;
  readonly aggregateDigest: string | undefined;
  readonly aggregateBytes: number;
  /** Which run of the round (0 first; counts up when an invalid aggregate makes it re-run). */
  readonly attempt?: number;
}

export interface StoredUpload {
  readonly round: number;
  readonly siteId: string;
  readonly updateDigest: string;
  readonly blobDigest: string;
  readonly byteLength: number;
  readonly nonceHex: string;
  readonly receipt: SignedEnvelope;
}

/** Everything stored about one job, for rebuilding it after a restart. */
export interface StoredJobGraph {
  readonly job: StoredJob;
  readonly decisions: readonly {
    siteId: string;
    accept: boolean;
    reason: string;
    /** The lengths stated in the signed acceptance (0 = none). */
    lengths?: { statsLength: number; parameterCount: number };
  }[];
  readonly rounds: readonly StoredRound[];
  readonly uploads: readonly StoredUpload[];
  readonly reports: readonly { round: number; siteId: string; modelHash: string; envelope: SignedEnvelope }[];
  readonly releases: readonly { siteId: string; envelope: SignedEnvelope }[];
  readonly keyGrants: readonly KeyGrant[];
}

/**
 * The coordinator's durable state: jobs, decisions, rounds, accepted-update metadata,
 * reports and releases (ciphertext bytes live in the blob store). Every call returns only
 * once the write is committed and durable, so a receipt or reply that depends on it can be
 * sent afterwards. Holds no values, weights or keys — only what the coordinator may know.
 */
export interface JobStore {
  saveJob(job: StoredJob): void;
  saveDecision(jobId: string, siteId: string, accept: boolean, reason: string, lengths?: RoundLengths): void;
  saveRound(jobId: string, round: StoredRound): void;
  saveUpload(jobId: string, upload: StoredUpload): void;
  /** Forgets an accepted update whose blob was found missing or corrupt (audited as lost first). */
  deleteUpload(jobId: string, round: number, siteId: string): void;
  saveReport(jobId: string, round: number, siteId: string, modelHash: string, envelope: SignedEnvelope): void;
  /** Forgets a round's uploads and reports: the round is re-run after an invalid aggregate. */
  clearRound(jobId: string, round: number): void;
  saveRelease(jobId: string, siteId: string, envelope: SignedEnvelope): void;
  /** A late joiner's key request, or the bundle a holder sealed to it. */
  saveKeyGrant(jobId: string, grant: KeyGrant): void;
  loadAll(): StoredJobGraph[];
  close(): void;
}

/** Keeps nothing: for in-process harnesses that never restart. */
export class MemoryJobStore implements JobStore {
  saveJob(): void {}
  saveDecision(): void {}
  saveRound(): void {}
  saveUpload(): void {}
  deleteUpload(): void {}
  saveReport(): void {}
  clearRound(): void {}
  saveRelease(): void {}
  saveKeyGrant(): void {}
  loadAll(): StoredJobGraph[] {
    return [];
  }
  close(): void {}
}
