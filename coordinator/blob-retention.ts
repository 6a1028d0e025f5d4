import type { BlobStore } from './blob-store.js';
import type { RoundRecord } from './round-record.js';

/**
 * What a job's ciphertext blobs are kept for, and so when each may go: a site's update
 * until its round is closed (it is in the aggregate then; only the round being collected
 * is re-added after a restart), an aggregate until the job ends (sites that were away or
 * restarted catch up from it). The audit log and the store keep every digest, which is all
 * a later check needs; the ciphertexts cannot be read by anyone but the sites anyway.
 */
export function uploadBlobsOf(round: RoundRecord): string[] {
  return [...round.uploads.values()].map((u) => u.blobDigest);
}

/** Every blob of an ended job: its aggregates and the updates of any round it did not close. */
export function blobsOfEndedJob(rounds: readonly RoundRecord[]): string[] {
  return rounds.flatMap((r) => [
    ...(r.aggregateDigest ? [r.aggregateDigest] : []),
    ...(r.state === 'closed' ? [] : uploadBlobsOf(r)),
  ]);
}

/** Deletes blobs in the background; a failure is logged, never fatal (the bytes are only garbage). */
export function discardBlobs(
  blobs: BlobStore,
  digests: readonly string[],
  log?: (event: string, fields: Record<string, unknown>) => void,
): void {
  for (const digest of new Set(digests)) {
    blobs.delete(digest).catch((error: unknown) =>
      log?.('blob.delete-failed', {
        digest: digest.slice(0, 16),
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}
