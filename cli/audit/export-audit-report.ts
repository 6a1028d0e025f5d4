import { writeFile } from 'node:fs/promises';
import { renderAuditReport } from '../../common/audit/audit-html-report.js';
import { siteAcceptancesOf } from '../../common/audit/audit-job-summaries.js';
import { readReportEntries } from '../../common/audit/read-report-entries.js';
import type { ReportVerification } from '../../common/audit/report-verification.js';
import { HeflError } from '../../common/errors/index.js';
import { type ReportVerifyOptions, verifyForReport } from './verify-for-report.js';

export interface ExportOptions extends ReportVerifyOptions {
  /** Where the report goes. */
  readonly html: string;
}

/**
 * `hefl audit export --html`: verifies the log (as `hefl audit verify` would, with the same
 * anchor and evidence), reads it and the site logs, and writes one HTML report embedding the
 * result. The report is written whatever the verdict (a tampered log's report shows the
 * fault); the caller turns the verdict into an exit code. An unwritable `html` or unreadable
 * log is `invalid_argument`.
 */
export async function exportAuditReport(
  log: string,
  opts: ExportOptions,
): Promise<{ entries: number; verification: ReportVerification }> {
  const { html, entries, verification } = await buildAuditReport(log, opts);
  try {
    await writeFile(opts.html, html);
  } catch (error) {
    throw new HeflError('invalid_argument', `cannot write ${opts.html}`, { cause: error });
  }
  return { entries, verification };
}

/** The report page for `log`, verified with `opts` (also what the dashboard serves). */
export async function buildAuditReport(
  log: string,
  opts: ReportVerifyOptions,
): Promise<{ html: string; entries: number; verification: ReportVerification }> {
  const { entries, unreadable } = await readReportEntries(log);
  const closedRounds = entries.filter((e) => e.action === 'round.closed').length;
  const verification = await verifyForReport(log, opts, closedRounds);
  const siteLogs = opts.siteLog ?? [];
  const siteEntries = [];
  for (const path of siteLogs) siteEntries.push(...(await readReportEntries(path)).entries);
  const html = renderAuditReport(entries, {
    verification,
    unreadableLines: unreadable,
    ...(siteLogs.length > 0 ? { siteAcceptances: siteAcceptancesOf(siteEntries, entries) } : {}),
  });
  return { html, entries: entries.length, verification };
}
