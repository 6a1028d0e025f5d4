import { escapeHtml } from '../../common/audit/escape-html.js';

/**
 * The dashboard page: the jobs table and the audit report (the same page `hefl audit export`
 * writes) in a frame. Plain HTML and a few lines of vanilla JS served from this server: the
 * page needs a table, a status line and a timer, which no framework makes simpler, and
 * nothing is loaded from a CDN.
 */
export function dashboardPage(folder: string, intervalMs: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>hefl dashboard</title><link rel="stylesheet" href="/dashboard.css"></head>
<body data-interval-ms="${intervalMs}">
<header><h1>hefl dashboard</h1><p class="note">Folder <span class="mono">${escapeHtml(folder)}</span>. Updates every ${intervalMs >= 1000 ? `${intervalMs / 1000} s` : `${intervalMs} ms`} without reloading; served on this machine only.</p></header>
<main>
<section aria-labelledby="jobs-title"><h2 id="jobs-title">Jobs</h2>
<table><thead><tr><th scope="col">job</th><th scope="col">state</th><th scope="col">round</th><th scope="col">job hash</th><th scope="col">reason</th></tr></thead><tbody id="jobs"></tbody></table>
<p id="jobs-note" class="note" role="status">Loading…</p></section>
<section aria-labelledby="audit-title"><h2 id="audit-title">Audit timeline</h2>
<p id="audit-status" role="status">Loading…</p>
<iframe id="audit-frame" title="audit report: verification, jobs, rounds and timeline"></iframe></section>
</main>
<script src="/dashboard.js"></script>
</body></html>
`;
}

export const DASHBOARD_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}
table{border-collapse:collapse;margin:0.5em 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left}
th{background:#f6f8fa}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.note{color:#57606a}iframe{width:100%;height:70vh;border:1px solid #d0d7de}
a:focus,iframe:focus{outline:3px solid #0969da}`;

/** Polls `/api/state`; redraws the job rows with textContent only, reloads the audit frame when it changed. */
export const DASHBOARD_JS = `'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const interval = Number(document.body.dataset.intervalMs) || 2000;
  let version = null;
  const row = (cells) => {
    const tr = document.createElement('tr');
    for (const [text, mono] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      if (mono) td.className = 'mono';
      tr.appendChild(td);
    }
    return tr;
  };
  const statusText = (a) => {
    if (a.status === 'no log') return 'No coordinator audit log in this folder.';
    if (a.status === 'verified') return 'Verified: ' + a.entries + ' entries, head ' + a.headHash;
    return 'NOT VERIFIED (' + a.status + '): see the report below.';
  };
  async function refresh() {
    try {
      const response = await fetch('/api/state', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const s = await response.json();
      $('audit-status').textContent = statusText(s.audit);
      if (s.audit.version !== version) {
        version = s.audit.version;
        $('audit-frame').src = '/audit?v=' + encodeURIComponent(version);
      }
      const jobs = s.jobs || [];
      $('jobs').replaceChildren(...jobs.map((j) => row([[j.jobId, true], [j.state], [j.round], [j.jobHash, true], [j.reason]])));
      $('jobs-note').textContent = s.jobsError
        ? 'Jobs not listed: ' + s.jobsError
        : s.jobs === undefined
          ? 'No researcher identity in this folder, so no job list.'
          : jobs.length === 0 ? 'No jobs.' : jobs.length + ' job(s), updated ' + new Date().toLocaleTimeString();
    } catch (error) {
      $('jobs-note').textContent = 'The dashboard server did not answer: ' + error.message;
    }
  }
  refresh();
  setInterval(refresh, interval);
})();
`;
