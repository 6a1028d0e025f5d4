import type { AuditJobSummary } from './audit-job-summaries.js';
import { auditRoundName } from './audit-round-name.js';
import { escapeHtml } from './escape-html.js';
import { htmlCell, htmlTable } from './html-table.js';

const lines = (items: readonly string[], none: string) =>
  items.length === 0 ? escapeHtml(none) : items.map(escapeHtml).join('<br>');

/** The per-job summary table: name, hash, submitter, state, sites, rounds, DP spent, release. */
export function jobSummariesHtml(jobs: readonly AuditJobSummary[]): string {
  if (jobs.length === 0) return '<h2 id="jobs">Jobs</h2><p>No jobs in this log.</p>';
  const rows = jobs.map((j) => {
    const sites = [
      `accepted: ${j.accepted.length === 0 ? 'none' : j.accepted.join(', ')}`,
      ...(j.declined.length > 0 ? [`declined: ${j.declined.join(', ')}`] : []),
      ...(j.excluded.length > 0 ? [`excluded: ${j.excluded.join(', ')}`] : []),
    ];
    const rounds = [
      j.trainingRounds === undefined ? 'training rounds: not logged' : `${j.trainingRounds} training rounds`,
      `closed: ${j.roundsClosed.length === 0 ? 'none' : j.roundsClosed.map((r) => auditRoundName(r, j.trainingRounds)).join(', ')}`,
    ];
    const dp = j.dpKnown
      ? lines(j.dp, 'no site accepted')
      : 'not in the coordinator log: each site logs its own spending (pass its log with --site-log)';
    return [
      '<tr>',
      `<td><strong>${escapeHtml(j.name ?? '(name not logged)')}</strong><br><span class="mono">${escapeHtml(j.jobId)}</span></td>`,
      htmlCell(j.jobHash ?? '—', true),
      `<td>${escapeHtml(j.submitter ?? '')}${j.submitterKey ? `<br><span class="mono">${escapeHtml(j.submitterKey)}</span>` : ''}</td>`,
      htmlCell(j.state),
      `<td>${lines(sites, '')}</td>`,
      `<td>${lines(rounds, '')}</td>`,
      `<td>${dp}</td>`,
      `<td>${lines(j.release, 'none recorded')}</td>`,
      '</tr>',
    ].join('');
  });
  return [
    '<h2 id="jobs">Jobs</h2>',
    htmlTable(['job', 'job hash', 'submitter', 'state', 'sites', 'rounds', 'DP spent', 'release'], rows),
  ].join('\n');
}
