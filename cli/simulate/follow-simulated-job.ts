import { HeflError } from '../../common/errors/index.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import { FINAL_STATES } from '../job/format-job-status.js';
import { type RoundOutcome, readJobOutcome } from '../researcher/job-outcome.js';
import type { ResearcherClient } from '../researcher/researcher-client.js';
import type { SimulationOptions, SiteProcesses } from './simulation-options.js';

/**
 * Polls the job until it ends (or `options.timeoutSeconds` pass), printing each round's
 * metrics once they are readable and calling `options.onRoundOpen` once per opened round.
 * The reports are verified and opened only when new ones arrived, and the poll slows with
 * the number of sites (`pollIntervalMs`): with in-process sites this loop shares their
 * thread, and re-verifying every report of every round five times a second starved 100 sites.
 */
export async function followSimulatedJob(
  researcher: ResearcherClient,
  jobId: string,
  options: SimulationOptions,
  isSite: (pk: Uint8Array) => boolean,
  sealingSecret: Uint8Array,
  sites: SiteProcesses | undefined,
): Promise<JobStatus> {
  const until = Date.now() + options.timeoutSeconds * 1000;
  const announced = new Set<number>();
  const opened = new Set<number>();
  // --sites (with --data the CSVs decide; the interval only needs the order of magnitude)
  const interval = pollIntervalMs(options.sites);
  let seenReports = '';
  for (;;) {
    const status = await researcher.status(jobId);
    const current = status.roundStatus.at(-1);
    if (current && !opened.has(current.round)) {
      opened.add(current.round);
      if (sites) await options.onRoundOpen?.(current.round, sites);
    }
    const reports = status.roundStatus.map((r) => `${r.round}:${r.reports.length}`).join(',');
    const fresh = reports !== seenReports;
    seenReports = reports;
    for (const r of fresh ? readJobOutcome(status, sealingSecret, isSite) : []) {
      if (r.metrics && !announced.has(r.round)) {
        announced.add(r.round);
        options.onProgress(describeRound(r, status.rounds));
      }
    }
    if (FINAL_STATES.has(status.state)) return status;
    if (Date.now() > until)
      throw new HeflError(
        'deadline_exceeded',
        `job ${jobId} still ${status.state} after ${options.timeoutSeconds} s`,
      );
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** 200 ms for a few sites, growing 10 ms per site (1 s at 100): a status carries every site's reports. */
export function pollIntervalMs(sites: number): number {
  return Math.max(200, 10 * sites);
}

export function describeRound(r: RoundOutcome, total: number): string {
  const m = r.metrics!;
  const absent =
    r.absent.length > 0
      ? `; not counted: ${r.absent.map((a) => `${a.siteId} (${a.reason})`).join(', ')}`
      : '';
  return `round ${r.round}/${total}: ${r.participants.length} sites, accuracy ${m.meanSiteAccuracy.toFixed(3)} (mean of sites; pooled ${m.accuracy.toFixed(3)}), AUC ${m.auc.toFixed(3)}, loss ${m.loss.toFixed(3)}, ${(r.bytesUp / 1024).toFixed(0)} KiB up, ${r.seconds.toFixed(1)} s${absent}`;
}
