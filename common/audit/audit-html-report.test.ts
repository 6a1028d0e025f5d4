import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './audit-entry.js';
import { renderAuditReport } from './audit-html-report.js';

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
});
