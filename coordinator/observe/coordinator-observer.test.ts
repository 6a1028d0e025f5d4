import { describe, expect, it } from 'vitest';
import { CoordinatorObserver } from './coordinator-observer.js';

function observer() {
  let now = 1_000;
  const lines: { event: string; fields: Record<string, unknown> }[] = [];
  const o = new CoordinatorObserver({ now: () => now }, (event, fields) => lines.push({ event, fields }));
  return { o, lines, advance: (ms: number) => (now += ms) };
}

describe('CoordinatorObserver (the operator log and last-seen)', () => {
  it('logs job lifecycle steps from audit entries, without record details', () => {
    const { o, lines } = observer();
    const durations: number[] = [];
    o.onRoundClosed((s) => durations.push(s));

    o.audited({ actor: 'researcher-1', action: 'job.submitted', details: { jobId: 'j1', spec: 'x' } });
    o.audited(
      {
        actor: 'coordinator',
        action: 'round.closed',
        details: { jobId: 'j1', round: 2, participants: ['a', 'b'] },
      },
      4.5,
    );
    o.audited({
      actor: 'coordinator',
      action: 'job.failed',
      details: { jobId: 'j1', reason: 'only 1 site(s) accepted' },
    });
    o.audited({ actor: 'site-a', action: 'update.accepted', details: { jobId: 'j1' } });

    expect(lines).toEqual([
      { event: 'job.submitted', fields: { job: 'j1', by: 'researcher-1' } },
      { event: 'round.closed', fields: { job: 'j1', round: 2, sites: 2 } },
      { event: 'job.failed', fields: { job: 'j1', reason: 'only 1 site(s) accepted' } },
    ]);
    expect(durations).toEqual([4.5]);
  });

  it('logs disconnects and refusals, counts refusals by reason, and keeps last seen', () => {
    const { o, lines, advance } = observer();

    o.connected('site-a');
    advance(500);
    o.disconnected('site-a');
    o.refused('unauthenticated', 'unknown');
    o.refused('unauthenticated', 'unknown');

    expect(lines.map((l) => l.event)).toEqual(['site.disconnected', 'request.refused', 'request.refused']);
    expect(o.activityOf('site-a').lastSeenMs).toBe(1_500);
    expect(o.activityOf('site-b').lastSeenMs).toBeNull();
    expect([...o.refusals()]).toEqual([['unauthenticated', 2]]);
  });

  it('warns once, at warn level, when a certificate comes within 30 days of expiry (injected clock)', () => {
    let now = Date.parse('2027-01-01T00:00:00Z');
    const info: string[] = [];
    const warnings: Record<string, unknown>[] = [];
    const o = new CoordinatorObserver(
      { now: () => now },
      (event) => info.push(event),
      (_event, fields) => warnings.push(fields),
    );
    const expires = Date.parse('2027-03-01T00:00:00Z'); // 59 days ahead

    o.contact('site-a', expires);
    const before = { warnings: warnings.length, expiring: o.expiringCertificates() };
    now = expires - 29 * 86_400_000 - 1; // 29 days and a bit left
    o.contact('site-a', expires);
    o.contact('site-a', expires);

    expect(before).toEqual({ warnings: 0, expiring: [] });
    expect(warnings).toEqual([
      {
        member: 'site-a',
        expires: '2027-03-01T00:00:00.000Z',
        daysLeft: 29,
        action: 'renew it: hefl site renew on the member, then hefl federation renew site-a',
      },
    ]);
    expect(info).toEqual([]);
    expect(o.expiringCertificates()).toEqual([{ member: 'site-a', expiresMs: expires, daysLeft: 29 }]);
  });
});
