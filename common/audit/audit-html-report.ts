import type { AuditEntry } from './audit-entry.js';
import { formatEntry } from './audit-timeline.js';
import { escapeHtml } from './escape-html.js';
import { type ChartSeries, svgLineChart } from './svg-line-chart.js';

/** Rows of the timeline table; larger logs are summarised and point to `hefl audit show`. */
export const MAX_TIMELINE_ROWS = 5000;

const REFUSALS = new Set([
  'update.refused',
  'request.refused',
  'request.refused.repeated',
  'job.declined',
  'site.declined',
  'site.proof-failed',
  'job.failed',
]);

interface RoundRow {
  jobId: string;
  round: number;
  opened?: string;
  closed?: string;
  participants: string[];
  merkleRoot?: string;
  metrics?: Record<string, number>;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-size:12px}.note{color:#57606a}.refusal td{background:#fff8f8}
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-weight:600}`;

const short = (id: string) => (/^[0-9a-f]{32,}$/.test(id) ? `${id.slice(0, 12)}…` : id);
const cell = (text: string, title?: string) =>
  `<td${title === undefined ? '' : ` title="${escapeHtml(title)}"`}>${escapeHtml(text)}</td>`;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

/**
 * One self-contained HTML page for auditors: rounds with their participants, refusals,
 * metric curves (from `round.reported` details.metrics) and the timeline. Inline CSS and
 * SVG only, no script and no external resource, so it opens offline. Every string from the
 * log is escaped. It reports what the log says; it does not verify it.
 */
export function renderAuditReport(entries: Iterable<AuditEntry>): string {
  const rounds = new Map<string, RoundRow>();
  const refusals: AuditEntry[] = [];
  const timeline: string[] = [];
  let count = 0;
  let first: AuditEntry | undefined;
  let last: AuditEntry | undefined;
  const roundOf = (jobId: string, round: number) => {
    const key = `${jobId}\u0000${round}`;
    const row = rounds.get(key) ?? { jobId, round, participants: [] };
    rounds.set(key, row);
    return row;
  };

  for (const entry of entries) {
    count += 1;
    first ??= entry;
    last = entry;
    const d = entry.details;
    const jobId = str(d.jobId);
    const round = num(d.round);
    if (jobId !== undefined && round !== undefined) {
      if (entry.action === 'round.opened') roundOf(jobId, round).opened = entry.time;
      if (entry.action === 'round.closed') {
        const row = roundOf(jobId, round);
        row.closed = entry.time;
        row.participants = Array.isArray(d.participants)
          ? d.participants.filter((p) => typeof p === 'string')
          : [];
        row.merkleRoot = str(d.merkleRoot);
      }
      if (
        entry.action === 'round.reported' &&
        d.metrics &&
        typeof d.metrics === 'object' &&
        !Array.isArray(d.metrics)
      ) {
        const metrics: Record<string, number> = {};
        for (const [k, v] of Object.entries(d.metrics)) if (typeof v === 'number') metrics[k] = v;
        roundOf(jobId, round).metrics = metrics;
      }
    }
    if (REFUSALS.has(entry.action)) refusals.push(entry);
    if (timeline.length < MAX_TIMELINE_ROWS) timeline.push(timelineRow(entry));
  }

  const sortedRounds = [...rounds.values()].sort((a, b) =>
    a.jobId === b.jobId ? a.round - b.round : a.jobId < b.jobId ? -1 : 1,
  );
  const body = [
    '<h1>hefl audit report</h1>',
    `<p>${count} entries${first && last ? `, seq ${first.seq}–${last.seq}, ${escapeHtml(first.time)} to ${escapeHtml(last.time)}` : ''}.</p>`,
    '<p class="note">This report shows what the log records. It does not check it: run <code>hefl audit verify</code> for that.</p>',
    '<h2 id="rounds">Rounds and participants</h2>',
    roundsTable(sortedRounds),
    '<h2 id="metrics">Metrics</h2>',
    metricCharts(sortedRounds),
    `<h2 id="refusals">Refusals (${refusals.length})</h2>`,
    refusals.length === 0
      ? '<p>None.</p>'
      : table(['time', 'seq', 'actor', 'action', 'details'], refusals.map(timelineRow), 'refusal'),
    `<h2 id="timeline">Timeline</h2>`,
    table(['time', 'seq', 'actor', 'action', 'details'], timeline),
    count > MAX_TIMELINE_ROWS
      ? `<p class="note">${count - MAX_TIMELINE_ROWS} more entries not shown; use <code>hefl audit show</code>.</p>`
      : '',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>hefl audit report</title><style>${CSS}</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}

function table(headers: readonly string[], rows: readonly string[], rowClass?: string): string {
  const tr = rowClass === undefined ? '<tr>' : `<tr class="${rowClass}">`;
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `${tr}${r}</tr>`)
    .join('')}</tbody></table>`;
}

function timelineRow(entry: AuditEntry): string {
  const details = formatEntry(entry).split(`${entry.action}`).slice(1).join(entry.action).trim();
  return [
    cell(entry.time),
    cell(String(entry.seq)),
    cell(short(entry.actor), entry.actor),
    cell(entry.action),
    cell(details),
  ].join('');
}

function roundsTable(rows: readonly RoundRow[]): string {
  if (rows.length === 0) return '<p>No rounds recorded.</p>';
  const body = rows.map((r) =>
    [
      cell(r.jobId),
      cell(`Round ${r.round}`),
      cell(r.opened ?? '—'),
      cell(r.closed ?? 'not closed'),
      cell(String(r.participants.length)),
      `<td>${r.participants.map((p) => `<span title="${escapeHtml(p)}">${escapeHtml(short(p))}</span>`).join(', ')}</td>`,
      cell(r.merkleRoot ? short(r.merkleRoot) : '—', r.merkleRoot),
      cell(
        r.metrics
          ? Object.entries(r.metrics)
              .map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`)
              .join(', ')
          : '—',
      ),
    ].join(''),
  );
  return table(['job', 'round', 'opened', 'closed', 'participants', 'sites', 'Merkle root', 'metrics'], body);
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
  if (byJob.size === 0) return '<p>No metrics reported.</p>';
  const figures = [...byJob].flatMap(([jobId, metrics]) =>
    [...metrics].map(
      ([name, points]) =>
        `<figure>${svgLineChart(`${name} for job ${jobId}`, [{ name, points }])}<figcaption>${escapeHtml(`${name} — job ${jobId}`)}</figcaption></figure>`,
    ),
  );
  return `<div class="charts">${figures.join('')}</div>`;
}
