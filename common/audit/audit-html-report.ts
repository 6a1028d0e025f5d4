import type { AuditEntry, JsonValue } from './audit-entry.js';
import { type SiteAcceptance, summariseAuditJobs } from './audit-job-summaries.js';
import { AUDIT_REPORT_CSS } from './audit-report-css.js';
import { jobSummariesHtml } from './audit-report-jobs-html.js';
import {
  NOT_VERIFIED_BY_CALLER,
  verificationHtml,
  verificationTitle,
} from './audit-report-verification-html.js';
import { auditRoundName } from './audit-round-name.js';
import { escapeHtml } from './escape-html.js';
import { htmlCell, htmlTable } from './html-table.js';
import type { ReportVerification } from './report-verification.js';
import { type ChartSeries, svgLineChart } from './svg-line-chart.js';

/** Rows of the timeline table; larger logs are summarised and point to `hefl audit show`. */
export const MAX_TIMELINE_ROWS = 5000;

const REFUSALS = new Set([
  'update.refused',
  'request.refused',
  'request.refused.repeated',
  'job.declined',
  'job.excluded',
  'site.declined',
  'site.proof-failed',
  'job.failed',
]);

/** Said where a log holds no metric values, which is how a real federation's log looks. */
export const METRICS_SEALED_NOTE =
  'No metric values in this log, by design: each round’s evaluation metrics (accuracy, AUC, loss) are summed under encryption by the sites and sealed to the researcher’s key, so the coordinator never sees them and cannot log them. The researcher reads them with hefl job status. The log records that each site reported a round (round.reported, with the hash of the model it computed).';

export interface AuditReportOptions {
  /** The verification this report embeds; without it the report says it is not verified. */
  readonly verification?: ReportVerification;
  /** `site.accepted` entries of the site logs given (where DP spending is logged); undefined: none given. */
  readonly siteAcceptances?: readonly SiteAcceptance[];
  /** Lines of the log that could not be read as entries (left out of every table). */
  readonly unreadableLines?: number;
}

interface RoundRow {
  jobId: string;
  round: number;
  opened?: string;
  closed?: string;
  participants: string[];
  merkleRoot?: string;
  metrics?: Record<string, number>;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

/**
 * One self-contained, printable HTML page for auditors: whether the log verified (and where
 * it failed), the federation, coordinator key and input files, a summary per job, rounds
 * named by phase with their participants and full Merkle roots, refusals, metric curves
 * where a log holds metrics, and the timeline with full digests. Inline CSS and SVG only, no
 * script and no external resource, so it opens offline. Every string from the log is escaped.
 */
export function renderAuditReport(entries: readonly AuditEntry[], options: AuditReportOptions = {}): string {
  const verification = options.verification ?? NOT_VERIFIED_BY_CALLER;
  const jobs = summariseAuditJobs(entries, options.siteAcceptances);
  const trainingRounds = new Map(jobs.map((j) => [j.jobId, j.trainingRounds]));
  const rounds = collectRounds(entries);
  const refusals = entries.filter((e) => REFUSALS.has(e.action));
  const first = entries[0];
  const last = entries.at(-1);
  const unreadable = options.unreadableLines ?? 0;
  const body = [
    '<h1>hefl audit report</h1>',
    `<p>${entries.length} entries${first && last ? `, seq ${first.seq}–${last.seq}, ${escapeHtml(first.time)} to ${escapeHtml(last.time)}` : ''}.${unreadable > 0 ? ` ${unreadable} line(s) could not be read as entries and are left out.` : ''}</p>`,
    verificationHtml(verification),
    jobSummariesHtml(jobs),
    '<h2 id="rounds">Rounds and participants</h2>',
    roundsTable(rounds, trainingRounds),
    '<h2 id="metrics">Metrics</h2>',
    metricCharts(rounds),
    `<h2 id="refusals">Refusals (${refusals.length})</h2>`,
    refusals.length === 0 ? '<p>None.</p>' : timelineTable(refusals, 'refusal'),
    '<h2 id="timeline">Timeline</h2>',
    timelineTable(entries.slice(0, MAX_TIMELINE_ROWS)),
    entries.length > MAX_TIMELINE_ROWS
      ? `<p class="note">${entries.length - MAX_TIMELINE_ROWS} more entries not shown; use <code>hefl audit show</code>.</p>`
      : '',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>hefl audit report — ${escapeHtml(verificationTitle(verification))}</title><style>${AUDIT_REPORT_CSS}</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}

function collectRounds(entries: readonly AuditEntry[]): RoundRow[] {
  const rounds = new Map<string, RoundRow>();
  const roundOf = (jobId: string, round: number) => {
    const key = `${jobId}\u0000${round}`;
    const row = rounds.get(key) ?? { jobId, round, participants: [] };
    rounds.set(key, row);
    return row;
  };
  for (const entry of entries) {
    const d = entry.details;
    const jobId = str(d.jobId);
    const round = num(d.round);
    if (jobId === undefined || round === undefined) continue;
    if (entry.action === 'round.opened') roundOf(jobId, round).opened = entry.time;
    if (entry.action === 'round.closed') {
      const row = roundOf(jobId, round);
      row.closed = entry.time;
      row.participants = Array.isArray(d.participants)
        ? d.participants.filter((p) => typeof p === 'string')
        : [];
      const root = str(d.merkleRoot);
      if (root !== undefined) row.merkleRoot = root;
    }
    if (entry.action === 'round.reported' && d.metrics && typeof d.metrics === 'object') {
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(d.metrics)) if (typeof v === 'number') metrics[k] = v;
      if (Object.keys(metrics).length > 0) roundOf(jobId, round).metrics = metrics;
    }
  }
  return [...rounds.values()].sort((a, b) =>
    a.jobId === b.jobId ? a.round - b.round : a.jobId < b.jobId ? -1 : 1,
  );
}

/** `key=value` per detail, values in full (digests, key ids, lists): nothing is cut or hidden. */
function detailsText(details: AuditEntry['details']): string {
  const value = (v: JsonValue) => (typeof v === 'string' ? v : JSON.stringify(v));
  return Object.entries(details)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join('\n');
}

function timelineTable(entries: readonly AuditEntry[], rowClass?: string): string {
  const rows = entries.map(
    (e) =>
      `<tr${rowClass ? ` class="${rowClass}"` : ` id="seq-${e.seq}"`}>${[
        htmlCell(e.time),
        htmlCell(String(e.seq)),
        htmlCell(e.actor, true),
        htmlCell(e.cause === null ? e.action : `${e.action} (after #${e.cause})`),
        htmlCell(detailsText(e.details), true),
      ].join('')}</tr>`,
  );
  return htmlTable(['time', 'seq', 'actor', 'action', 'details'], rows);
}

function roundsTable(
  rows: readonly RoundRow[],
  trainingRounds: ReadonlyMap<string, number | undefined>,
): string {
  if (rows.length === 0) return '<p>No rounds recorded.</p>';
  const body = rows.map(
    (r) =>
      `<tr>${[
        htmlCell(r.jobId, true),
        htmlCell(auditRoundName(r.round, trainingRounds.get(r.jobId))),
        htmlCell(r.opened ?? '—'),
        htmlCell(r.closed ?? 'not closed'),
        htmlCell(String(r.participants.length)),
        `<td class="mono">${r.participants.map(escapeHtml).join('<br>')}</td>`,
        htmlCell(r.merkleRoot ?? '—', true),
        htmlCell(
          r.metrics
            ? Object.entries(r.metrics)
                .map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`)
                .join(', ')
            : '—',
        ),
      ].join('')}</tr>`,
  );
  return htmlTable(
    ['job', 'round', 'opened', 'closed', 'participants', 'sites', 'Merkle root', 'metrics'],
    body,
  );
}

function metricCharts(rows: readonly RoundRow[]): string {
  const byJob = new Map<string, Map<string, ChartSeries['points'][number][]>>();
  for (const r of rows) {
    for (const [name, y] of Object.entries(r.metrics ?? {})) {
      const job = byJob.get(r.jobId) ?? new Map();
      byJob.set(r.jobId, job);
      const points = job.get(name) ?? [];
      points.push({ x: r.round, y });
      job.set(name, points);
    }
  }
  if (byJob.size === 0) return `<p class="note" id="metrics-sealed">${escapeHtml(METRICS_SEALED_NOTE)}</p>`;
  const figures = [...byJob].flatMap(([jobId, metrics]) =>
    [...metrics].map(
      ([name, points]) =>
        `<figure>${svgLineChart(`${name} for job ${jobId}`, [{ name, points }])}<figcaption>${escapeHtml(`${name} — job ${jobId}`)}</figcaption></figure>`,
    ),
  );
  return `<div class="charts">${figures.join('')}</div>`;
}
