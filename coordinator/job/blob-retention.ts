import type { EventLog } from '../../common/log/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { RoundRecord } from './round-record.js';

/**
 * What a job's ciphertext blobs are kept for, and so when each may go: a site's update
 * until its round is closed (it is in the aggregate then; only the round being collected
 * is re-added after a restart), an aggregate until the job ends — for a completed job, until
 * every site has applied its last round (see AGGREGATE_GRACE_MS). The audit log and the store keep every digest, which is all
 * a later check needs; the ciphertexts cannot be read by anyone but the sites anyway.
 */
export function uploadBlobsOf(round: RoundRecord): string[] {
  return [...round.uploads.values()].map((u) => u.blobDigest);
}

/** The updates of rounds an ended job never closed (never summed into anything kept). */
export function unclosedUploadBlobs(rounds: readonly RoundRecord[]): string[] {
  return rounds.filter((r) => r.state !== 'closed').flatMap(uploadBlobsOf);
}

export function aggregateBlobs(rounds: readonly RoundRecord[]): string[] {
  return rounds.flatMap((r) => (r.aggregateDigest ? [r.aggregateDigest] : []));
}

/**
 * After a job completed, a site still catching up (it was slow, away, or restarted near
 * the end) needs the aggregates to reach the final model; they are kept until every
 * accepted site has applied the last round, or this long at most.
 */
export const AGGREGATE_GRACE_MS = 10 * 60 * 1000;

/** Whether every accepted site has applied the job's last closed round. */
export function everyoneAppliedLast(rounds: readonly RoundRecord[], accepted: readonly string[]): boolean {
  const last = rounds.at(-1);
  return last?.state === 'closed' && accepted.every((site) => last.reports.has(site));
}

/** Deletes blobs in the background; a failure is logged, never fatal (the bytes are only garbage). */
export function discardBlobs(blobs: BlobStore, digests: readonly string[], log?: EventLog): void {
  for (const digest of new Set(digests)) {
    blobs.delete(digest).catch((error: unknown) =>
      log?.('blob.delete-failed', {
        digest: digest.slice(0, 16),
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}
