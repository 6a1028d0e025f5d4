import type { ParsedJob } from '../../common/job/job-spec.js';
import { isDamagedBlob } from '../storage/blob-store.js';
import type { StoredJobGraph } from '../storage/job-store.js';
import { discardBlobs, unclosedUploadBlobs, uploadBlobsOf } from './blob-retention.js';
import { JobController, type JobControllerDeps, type JobState } from './job-controller.js';
import { sectionBatches, sumFor } from './round-aggregation.js';
import { type RoundRecord, restoredRound, storedRound } from './round-record.js';

/**
 * Rebuilds a job after a restart from what the store kept. Accepted updates of the
 * round in progress are added again from their blobs (nothing is counted twice: the
 * sums start empty); closed rounds keep their signed summaries and aggregates.
 */
export async function restoreJob(
  deps: JobControllerDeps,
  graph: StoredJobGraph,
  job: ParsedJob,
): Promise<JobController> {
  const stored = graph.job;
  const controller = new JobController(deps, {
    id: stored.id,
    job,
    submittedBy: stored.submittedBy,
    researcherSealingKey: stored.researcherSealingKey,
    submission: stored.submission,
  });
  controller.state = stored.state as JobState;
  controller.reason = stored.reason;
  controller.membership.restore(stored, graph);
  controller.rounds.push(...restoredRounds(graph));
  controller.releases.load(graph.releases);
  const current = controller.currentRound;
  if (!controller.isFinished() && current?.state === 'collecting') await resumeSums(deps, stored.id, current);
  // Blobs a crash kept from being deleted: updates of closed rounds, and of an ended job its
  // unclosed round's updates and (when no site needs them any more) its aggregates.
  discardBlobs(
    deps.blobs,
    controller.isFinished()
      ? unclosedUploadBlobs(controller.rounds)
      : controller.rounds.filter((r) => r.state === 'closed').flatMap(uploadBlobsOf),
    deps.log,
  );
  if (controller.isFinished()) controller.releaseAggregates();
  return controller;
}

/** The stored rounds with their accepted uploads (and used nonces) and the sites' reports. */
function restoredRounds(graph: StoredJobGraph): RoundRecord[] {
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
 * Adds the round's accepted updates to its (empty) sums again, from their blobs. An update
 * whose blob is missing or corrupt (checked against its digest) is lost: audited as
 * `update.lost` naming the blob, forgotten by the state, and its site counted absent with
 * that reason — the round closes without it (at its deadline, if at least minSites remain)
 * and the site, whose receipt the round then lacks, reports the loss itself.
 */
async function resumeSums(
  deps: Pick<JobControllerDeps, 'blobs' | 'adder' | 'audit' | 'store' | 'log'>,
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
