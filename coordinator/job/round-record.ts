import { HeflError } from '../../common/errors/index.js';
import type { VectorSum } from '../../common/he/index.js';
import type { SectionLayout } from '../../common/protocol/section-framing.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { StoredRound } from '../storage/job-store.js';

export type RoundState = 'collecting' | 'aggregating' | 'closed';

/** An update the coordinator accepted durably (its bytes live in the blob store). */
export interface AcceptedUpload {
  readonly siteId: string;
  /** SHA-256 (hex) over the encoded, signed update header: the Merkle leaf. */
  readonly updateDigest: string;
  readonly blobDigest: string;
  readonly byteLength: number;
  readonly receipt: SignedEnvelope;
}

export interface SiteReport {
  readonly modelHash: string;
  readonly envelope: SignedEnvelope;
}

/** One round of one job, as the coordinator tracks it. Expected failures are data here. */
export class RoundRecord {
  readonly round: number;
  private participantList: string[];
  readonly openedAt: number;
  readonly deadline: number;
  state: RoundState = 'collecting';
  closedAt: number | undefined;
  layout: readonly SectionLayout[] | undefined;
  readonly sums = new Map<string, VectorSum>();
  readonly uploads = new Map<string, AcceptedUpload>();
  readonly usedNonces = new Set<string>();
  readonly absent: { siteId: string; reason: string }[] = [];
  readonly reports = new Map<string, SiteReport>();
  /** Which run of the round this is: 0, then one more per re-run after an invalid aggregate. */
  attempt = 0;
  /** Contributors that reported the aggregate invalid (signed), with their reason. */
  readonly invalidReports = new Map<string, string>();
  summary: SignedEnvelope | undefined;
  aggregateDigest: string | undefined;
  aggregateBytes = 0;
  downloads = 0;
  timer: { cancel(): void } | undefined;

  constructor(round: number, participants: readonly string[], openedAt: number, deadline: number) {
    this.round = round;
    this.participantList = [...participants];
    this.openedAt = openedAt;
    this.deadline = deadline;
  }

  /** Sites expected to send an update this round (sorted). */
  get participants(): readonly string[] {
    return this.participantList;
  }

  /** A site that caught up on missed rounds joins the round being collected. */
  addParticipant(siteId: string): void {
    if (!this.participantList.includes(siteId))
      this.participantList = [...this.participantList, siteId].sort();
  }

  get bytesUp(): number {
    let total = 0;
    for (const u of this.uploads.values()) total += u.byteLength;
    return total;
  }

  /** Sites summed in this round, sorted by id (the Merkle leaf order). */
  get contributors(): string[] {
    return [...this.uploads.keys()].sort();
  }

  allUploaded(): boolean {
    return this.participants.every((site) => this.uploads.has(site));
  }

  allReported(): boolean {
    return this.contributors.every((site) => this.reports.has(site) || this.invalidReports.has(site));
  }

  freeSums(): void {
    for (const sum of this.sums.values()) sum.delete();
    this.sums.clear();
  }
}

/** A round as the job store keeps it (accepted uploads and reports are stored apart). */
export function storedRound(round: RoundRecord): StoredRound {
  return {
    round: round.round,
    participants: round.participants,
    openedAt: round.openedAt,
    deadline: round.deadline,
    state: round.state === 'aggregating' ? 'collecting' : round.state,
    closedAt: round.closedAt,
    layoutJson: round.layout ? JSON.stringify(round.layout) : undefined,
    absentJson: JSON.stringify(round.absent),
    summary: round.summary,
    aggregateDigest: round.aggregateDigest,
    aggregateBytes: round.aggregateBytes,
    attempt: round.attempt,
  };
}

/** The round `storedRound` wrote, without its uploads and reports (and with empty sums). */
export function restoredRound(r: StoredRound): RoundRecord {
  const round = new RoundRecord(r.round, r.participants, r.openedAt, r.deadline);
  round.state = storedRoundState(r.state);
  round.closedAt = r.closedAt;
  round.layout = r.layoutJson ? (JSON.parse(r.layoutJson) as SectionLayout[]) : undefined;
  round.absent.push(...(JSON.parse(r.absentJson) as { siteId: string; reason: string }[]));
  round.summary = r.summary;
  round.aggregateDigest = r.aggregateDigest;
  round.aggregateBytes = r.aggregateBytes;
  round.attempt = r.attempt ?? 0;
  return round;
}

/** A round's state as stored: 'collecting' or 'closed' (an aggregating round is stored as collecting). */
function storedRoundState(text: string): RoundState {
  if (text === 'collecting' || text === 'closed') return text;
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  throw new HeflError(
    'integrity',
    `unknown stored round state ${JSON.stringify(shown)} (expected collecting or closed)`,
  );
}
