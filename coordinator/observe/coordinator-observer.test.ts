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
});
