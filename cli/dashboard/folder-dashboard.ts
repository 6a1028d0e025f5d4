import { stat } from 'node:fs/promises';
import type { ReportVerification } from '../../common/audit/report-verification.js';
import { buildAuditReport } from '../audit/export-audit-report.js';
import { researcherRecordFile } from '../audit/researcher-record-file.js';
import { roundLabel } from '../job/format-job-status.js';
import { openResearcherSession, type ResearcherSession } from '../job/researcher-session.js';
import type { DashboardDeps } from './dashboard-server.js';
import type { DashboardSources } from './dashboard-sources.js';
import type { DashboardJob, DashboardState } from './dashboard-state.js';

interface AuditView {
  readonly key: string;
  readonly html: string;
  readonly verification?: ReportVerification;
  readonly entries: number;
}

const NO_LOG_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>no audit log</title></head><body><p>No coordinator audit log in this folder (audit.jsonl or coordinator/audit.jsonl).</p></body></html>';

/**
 * The dashboard's view of a folder: the audit report, re-verified only when one of its files
 * changed (size or modification time), and the researcher's jobs over the signed researcher
 * API (a session opened on first use and reopened after a failure). `close` ends the session.
 */
export function folderDashboard(
  folder: string,
  sources: DashboardSources,
  coordinator: string,
  intervalMs: number,
): DashboardDeps & { close(): void } {
  let audit: AuditView | undefined;
  let session: Promise<ResearcherSession> | undefined;

  const currentAudit = async (): Promise<AuditView> => {
    const { log } = sources;
    if (log === undefined) return { key: 'no log', html: NO_LOG_HTML, entries: 0 };
    const records = (sources.verify.researcherRecord ?? []).map(researcherRecordFile);
    const files = [log, ...(sources.verify.siteLog ?? []), ...records];
    const stats = await Promise.all(
      files.map((f) =>
        stat(f).then(
          (s) => `${s.size}:${s.mtimeMs}`,
          () => '-',
        ),
      ),
    );
    const key = stats.join('/');
    if (audit?.key !== key) {
      const built = await buildAuditReport(log, sources.verify);
      audit = { key, html: built.html, verification: built.verification, entries: built.entries };
    }
    return audit;
  };

  const jobs = async (): Promise<Pick<DashboardState, 'jobs' | 'jobsError'>> => {
    const dir = sources.researcherDir;
    if (dir === undefined) return {};
    try {
      session ??= openResearcherSession(dir, coordinator);
      const s = await session;
      const list = await s.call('list jobs', (c) => c.list());
      return { jobs: list.map(toJob) };
    } catch (error) {
      const failed = session;
      session = undefined;
      failed?.then(
        (s) => s.close(),
        () => undefined,
      );
      return { jobsError: error instanceof Error ? error.message : String(error) };
    }
  };

  return {
    folder,
    intervalMs,
    auditHtml: async () => (await currentAudit()).html,
    state: async () => {
      const [a, j] = await Promise.all([currentAudit(), jobs()]);
      const v = a.verification;
      return {
        audit: {
          status: v?.status ?? 'no log',
          version: a.key,
          entries: a.entries,
          ...(v?.status === 'verified' ? { headHash: v.headHash } : {}),
        },
        ...j,
      };
    },
    close: () => {
      session?.then(
        (s) => s.close(),
        () => undefined,
      );
    },
  };
}

function toJob(j: {
  jobId: string;
  jobHash: string;
  state: string;
  reason: string;
  currentRound: number;
  rounds: number;
}): DashboardJob {
  const started = j.state !== 'recruiting' && j.state !== 'keying';
  return {
    jobId: j.jobId,
    jobHash: j.jobHash,
    state: j.state,
    round: started ? roundLabel(j.currentRound, j.rounds) : '-',
    reason: j.reason,
  };
}
