import type { ReportVerification } from '../../common/audit/report-verification.js';

/** One job as the dashboard lists it (from the researcher's signed `ListJobs`). */
export interface DashboardJob {
  readonly jobId: string;
  readonly jobHash: string;
  readonly state: string;
  /** e.g. `round 2/5`, `round 0 (feature statistics)`, or `-` before round 0. */
  readonly round: string;
  readonly reason: string;
}

/** What the page polls (`GET /api/state`): enough to redraw the job table and to know when the audit page changed. */
export interface DashboardState {
  readonly audit: {
    readonly status: ReportVerification['status'] | 'no log';
    /** The verified head, or a digest of what changed: the page reloads the audit frame when it differs. */
    readonly version: string;
    readonly entries: number;
    readonly headHash?: string;
  };
  /** undefined: the folder holds no researcher identity. */
  readonly jobs?: readonly DashboardJob[];
  /** Why the jobs could not be listed (e.g. the coordinator is unreachable). */
  readonly jobsError?: string;
}
