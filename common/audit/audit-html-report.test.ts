import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './audit-entry.js';
import { METRICS_SEALED_NOTE, renderAuditReport } from './audit-html-report.js';
import { escapeHtml } from './escape-html.js';

const base = {
  actor: 'coordinator',
  cause: null,
  prev: '0'.repeat(64),
  signer: '1'.repeat(32),
  hash: '2'.repeat(64),
  sig: '',
};
const entry = (seq: number, action: AuditEntry['action'], details: AuditEntry['details']): AuditEntry => ({
  ...base,
  seq,
  time: `2025-03-01T10:00:0${seq}Z`,
  action,
  details,
});

describe('renderAuditReport', () => {
  it('shows rounds, participants, refusals and a metric chart, and escapes what the log says', () => {
    const entries = [
      entry(1, 'round.opened', { jobId: 'j<1>', round: 1 }),
      entry(2, 'update.refused', { jobId: 'j<1>', round: 1, reason: '<script>alert(1)</script>' }),
      entry(3, 'round.closed', {
        jobId: 'j<1>',
        round: 1,
        participants: ['site-a', 'site-b'],
        updateDigests: ['a'.repeat(64), 'b'.repeat(64)],
        merkleRoot: 'c'.repeat(64),
      }),
      entry(4, 'round.reported', { jobId: 'j<1>', round: 1, metrics: { accuracy: 0.71, loss: 0.5 } }),
    ];

    const html = renderAuditReport(entries);

    expect(html).toContain('Round 1');
    expect(html).toContain('site-a');
    expect(html).toContain('Refusals (1)');
    expect(html).toMatch(/<svg [^>]*aria-label="accuracy for job j&lt;1&gt;"/);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('renders an empty log', () => {
    expect(renderAuditReport([])).toContain('No rounds recorded.');
  });

  it('summarises each job, names round 0 and the final evaluation round, and prints digests in full', () => {
    const root = 'c'.repeat(64);
    const closed = (seq: number, round: number) =>
      entry(seq, 'round.closed', {
        jobId: 'job-1',
        round,
        participants: ['hospital-a'],
        updateDigests: ['a'.repeat(64)],
        merkleRoot: root,
      });
    const entries = [
      {
        ...entry(1, 'job.submitted', {
          jobId: 'job-1',
          jobHash: 'd'.repeat(64),
          name: 'heart',
          member: 'dr-x',
          rounds: 2,
        }),
        actor: 'e'.repeat(32),
      },
      entry(2, 'job.accepted', { jobId: 'job-1', member: 'hospital-a' }),
      entry(3, 'job.declined', { jobId: 'job-1', member: 'hospital-b', reason: 'budget spent' }),
      closed(4, 0),
      closed(5, 1),
      closed(6, 2),
      closed(7, 3),
      entry(8, 'round.reported', { jobId: 'job-1', round: 3, modelHash: 'f'.repeat(64) }),
      entry(9, 'job.completed', { jobId: 'job-1', reason: '' }),
      entry(10, 'model.released', {
        jobId: 'job-1',
        member: 'hospital-a',
        allowed: true,
        to: 'dr-x',
        stage: 'sealed by site',
      }),
    ];
    const siteAcceptances = [
      { site: 'hospital-a', jobId: 'job-1', privacy: { unit: 'record', epsilon: 2, delta: 1e-5 } },
    ];

    const html = renderAuditReport(entries, { siteAcceptances });

    expect(html).toContain('<strong>heart</strong>');
    expect(html).toContain(`<td class="mono">${'d'.repeat(64)}</td>`);
    expect(html).toContain(`dr-x<br><span class="mono">${'e'.repeat(32)}</span>`);
    expect(html).toContain('<td>completed</td>');
    expect(html).toContain('accepted: hospital-a<br>declined: hospital-b (budget spent)');
    expect(html).toContain(
      'closed: Round 0 (feature statistics), Round 1/2 (training), Round 2/2 (training), Round 3 (final evaluation)',
    );
    expect(html).toContain('hospital-a: epsilon 2, delta 0.00001, per record');
    expect(html).toContain('sealed to dr-x by hospital-a');
    expect(html).toContain('<td>Round 0 (feature statistics)</td>');
    expect(html).toContain('<td>Round 3 (final evaluation)</td>');
    expect(html).toContain(`<td class="mono">${root}</td>`);
    expect(html).toContain(escapeHtml(METRICS_SEALED_NOTE));
    expect(html).not.toContain('No metrics reported');
    expect(html).not.toContain(' title=');
    expect(html).toContain('@media print');
    expect(html).toContain('NOT VERIFIED: verification was not possible');
  });

  it('says where the DP spending is when no site log was given', () => {
    const html = renderAuditReport([entry(1, 'job.submitted', { jobId: 'job-1', rounds: 1 })]);

    expect(html).toContain('not in the coordinator log: each site logs its own spending');
  });
});
