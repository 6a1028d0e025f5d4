import { HeflError } from '../../common/errors/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { AuditSink } from '../storage/audit-sink.js';
import { type BlobStore, isDamagedBlob } from '../storage/blob-store.js';
import type { JobView } from './job-view.js';
import type { RoundRecord } from './round-record.js';

/** What a site downloads for one round: the signed summary first, then the aggregate's bytes. */
export interface AggregateDownload {
  readonly summary: SignedEnvelope;
  /** The aggregate blob in chunks of at most `chunkSize` bytes, checked against its digest. */
  chunks(chunkSize: number): AsyncIterable<Uint8Array>;
}

/**
 * Hands out a job's closed-round aggregates to the sites. Each is checked against its
 * digest before the first byte leaves; a missing or corrupt one is audited once
 * (`blob.damaged`) and, as no site can apply the round then, fails a running job with the
 * reason naming the blob.
 */
export class AggregateDownloads {
  /** Blobs found damaged (audited once each). */
  private readonly damagedBlobs = new Set<string>();

  constructor(
    private readonly deps: {
      readonly blobs: BlobStore;
      readonly audit: AuditSink;
      readonly log?: EventLog;
    },
    private readonly job: Pick<JobView, 'id' | 'rounds' | 'isFinished'>,
    /** Fails the job: an aggregate no site can apply. */
    private readonly fail: (reason: string) => void,
  ) {}

  /** A closed round's summary and aggregate; counted as one download (job status shows the bytes). */
  closedRound(roundIndex: number): AggregateDownload {
    const round = this.job.rounds[roundIndex];
    if (round?.state !== 'closed' || !round.summary || !round.aggregateDigest) {
      throw new HeflError('failed_precondition', `round ${roundIndex} has no aggregate yet`, {
        publicDetail: 'the round has not closed',
      });
    }
    round.downloads++;
    return { summary: round.summary, chunks: (chunkSize) => this.chunks(round, chunkSize) };
  }

  /** A blame probe's summary and sum (see RoundBlame), read as stored. */
  probe(probe: { summary: SignedEnvelope; digest: string }): AggregateDownload {
    return {
      summary: probe.summary,
      chunks: (chunkSize) => this.deps.blobs.readChunks(probe.digest, chunkSize),
    };
  }

  /** A closed round's aggregate, checked against its digest before the first byte leaves. */
  async *chunks(round: RoundRecord, chunkSize: number): AsyncIterable<Uint8Array> {
    const digest = round.aggregateDigest!;
    try {
      yield* this.deps.blobs.readChunks(digest, chunkSize);
    } catch (error) {
      if (isDamagedBlob(error) && !this.damagedBlobs.has(digest)) {
        this.damagedBlobs.add(digest);
        this.deps.audit.append({
          actor: 'coordinator',
          action: 'blob.damaged',
          details: {
            jobId: this.job.id,
            round: round.round,
            kind: 'aggregate',
            blobDigest: digest,
            reason: error.message,
          },
        });
        this.deps.log?.('blob.damaged', {
          job: this.job.id,
          round: round.round,
          kind: 'aggregate',
          error: error.message,
        });
        if (!this.job.isFinished())
          this.fail(`round ${round.round}'s aggregate ${error.message}; no site can apply the round`);
      }
      throw error;
    }
  }
}
