import { readJobOutcome } from '../../cli/researcher/job-outcome.js';
import { HeflError } from '../../common/errors/index.js';
import type { ParsedJob } from '../../common/job/job-spec.js';
import { type InProcessFederation, waitForJob } from '../harness/in-process-federation.js';

/** What the researcher sees of one finished federated job. */
export interface FederatedJobResult {
  readonly jobId: string;
  /** Accuracy of the final model over all sites' held-out rows (examples-weighted). */
  readonly pooledAccuracy: number;
  /** Hash of the final global model, as every site signed it. */
  readonly modelHash: string;
  /** Model hash after each training round 1..R, as the sites signed them. */
  readonly roundHashes: string[];
  readonly wallSeconds: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

/**
 * Submits `job` to a running federation, waits for it and opens its outcome as the
 * researcher. A job that does not complete is an `internal` HeflError naming its state.
 */
export async function runFederatedJob(
  fed: InProcessFederation,
  job: ParsedJob,
  timeoutMs: number,
): Promise<FederatedJobResult> {
  const started = performance.now();
  const { jobId } = await fed.researcher.submit(job);
  const status = await waitForJob(fed.researcher, jobId, timeoutMs);
  const wallSeconds = (performance.now() - started) / 1000;
  if (status.state !== 'completed') {
    throw new HeflError('internal', `federated job ${jobId} ended ${status.state}: ${status.reason}`);
  }
  const outcome = readJobOutcome(
    status,
    fed.researcherKeys.sealingSecretKey,
    (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
  );
  const last = outcome.at(-1);
  if (!last?.metrics || !last.modelHash) {
    throw new HeflError('internal', `federated job ${jobId}: no metrics for the final model`);
  }
  return {
    jobId,
    pooledAccuracy: last.metrics.accuracy,
    modelHash: last.modelHash,
    roundHashes: outcome.map((r) => r.modelHash ?? ''),
    wallSeconds,
    bytesUp: outcome.reduce((a, r) => a + r.bytesUp, 0),
    bytesDown: outcome.reduce((a, r) => a + r.bytesDown, 0),
  };
}
