import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import type { JobController } from './job-controller.js';

/** What a researcher may see of a job: states, participants, reasons, sizes — and the sealed reports. */
export function jobStatusOf(job: JobController): JobStatus {
  return {
    jobId: job.id,
    jobHash: job.job.hash,
    state: job.state,
    reason: job.reason,
    currentRound: job.currentRound?.round ?? 0,
    rounds: job.spec.rounds,
    decisions: [...job.decisions].map(([siteId, d]) => ({ siteId, accept: d.accept, reason: d.reason })),
    awaitingApproval: job.isFinished() ? [] : [...job.awaitingApproval].sort(),
    roundStatus: job.rounds.map((r) => ({
      round: r.round,
      state: r.state,
      participants: r.contributors,
      expected: [...r.participants],
      absent: r.absent.map((a) => ({ siteId: a.siteId, reason: a.reason })),
      seconds: ((r.closedAt ?? Date.now()) - r.openedAt) / 1000,
      bytesUp: r.bytesUp,
      bytesDown: r.aggregateBytes * r.downloads,
      reports: [...r.reports.values()].map((rep) => rep.envelope),
      sections: (r.layout ?? []).map((l) => ({ ...l })),
    })),
  };
}
