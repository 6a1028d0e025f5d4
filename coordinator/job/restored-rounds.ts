import type { VectorAdder } from '../../common/he/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import type { AuditSink } from '../storage/audit-sink.js';
import { type BlobStore, isDamagedBlob } from '../storage/blob-store.js';
import type { JobStore, StoredJobGraph } from '../storage/job-store.js';
import { sectionBatches, sumFor } from './round-aggregation.js';
import { type RoundRecord, restoredRound, storedRound } from './round-record.js';

// What JobController.restore rebuilds of a job's rounds after a restart.

/** The stored rounds with their accepted uploads (and used nonces) and the sites' reports. */
export function restoredRounds(graph: StoredJobGraph): RoundRecord[] {
  const rounds = graph.rounds.map(restoredRound);
  for (const u of graph.uploads) {
    const round = rounds[u.round];
    if (!round) continue;
    round.uploads.set(u.siteId, {
      siteId: u.siteId,
      updateDigest: u.updateDigest,
      blobDigest: u.blobDigest,
      byteLength: u.byteLength,
      receipt: u.receipt,
    });
    round.usedNonces.add(u.nonceHex);
  }
  for (const r of graph.reports)
    rounds[r.round]?.reports.set(r.siteId, { modelHash: r.modelHash, envelope: r.envelope });
  return rounds;
}

/**
 * Adds the round's accepted updates to its sums again, from their blobs (the sums start
 * empty after a restart: nothing is counted twice). An update whose blob is missing or
 * corrupt (checked against its digest) is lost: audited as `update.lost` naming the blob,
 * forgotten by the state, and its site counted absent with that reason — the round closes without it (at its deadline, if at least minSites remain)
 * and the site, whose receipt the round then lacks, reports the loss itself.
 */
export async function resumeSums(
  deps: {
    readonly blobs: BlobStore;
    readonly adder: VectorAdder;
    readonly audit: AuditSink;
    readonly store: JobStore;
    readonly log?: EventLog;
  },
  jobId: string,
  round: RoundRecord,
): Promise<void> {
  for (const upload of [...round.uploads.values()]) {
    let bytes: Uint8Array;
    try {
      bytes = await deps.blobs.read(upload.blobDigest);
    } catch (error) {
      if (!isDamagedBlob(error)) throw error;
      const reason = `its accepted update was lost at the coordinator: ${error.message}`;
      deps.audit.append({
        actor: 'coordinator',
        action: 'update.lost',
        details: {
          jobId,
          round: round.round,
          site: upload.siteId,
          updateDigest: upload.updateDigest,
          blobDigest: upload.blobDigest,
          reason: error.message,
        },
      });
      deps.store.deleteUpload(jobId, round.round, upload.siteId);
      round.uploads.delete(upload.siteId);
      round.absent.push({ siteId: upload.siteId, reason });
      deps.store.saveRound(jobId, storedRound(round));
      deps.log?.('update.lost', {
        job: jobId,
        round: round.round,
        site: upload.siteId,
        error: error.message,
      });
      continue;
    }
    for (const { section, batch } of sectionBatches(round.layout ?? [], bytes)) {
      sumFor(round, section, deps.adder).add(batch);
    }
  }
}
