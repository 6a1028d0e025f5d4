import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { DataReport } from '../../common/protocol/sealed-data-report.js';
import { VirtualTerminal } from '../../test/support/virtual-terminal.js';
import type { JobStatusView, RoundView } from './format-job-status.js';
import { type WatchDisplay, watchDisplay, watchJob } from './job-watch.js';
import { renderWatchPanel } from './watch-panel.js';

function round(n: number, state: string, participants: string[], extra: Partial<RoundView> = {}): RoundView {
  return {
    round: n,
    phase: n === 0 ? 'statistics' : n > 1 ? 'evaluation' : 'training',
    state,
    expected: participants,
    participants,
    absent: [],
    seconds: 1,
    bytesUp: 2048,
    bytesDown: 4096,
    metrics: null,
    modelHash: null,
    ...extra,
  };
}

function snapshot(state: string, rounds: RoundView[], reason = ''): JobStatusView {
  return {
    jobId: 'job-1',
    jobHash: 'ab'.repeat(32),
    state,
    reason,
    currentRound: rounds.at(-1)?.round ?? 0,
    trainingRounds: 1,
    decisions: state === 'recruiting' ? [] : [{ siteId: 'a', accept: true, reason: '' }],
    rounds,
    final: null,
  };
}

const METRICS = { accuracy: 0.7, pooledAccuracy: 0.69, auc: 0.75, loss: 0.6, examples: 50 };

async function watch(snapshots: (JobStatusView | Error)[]) {
  const lines: string[] = [];
  let polls = 0;
  const result = await watchJob({
    poll: async () => {
      const next = snapshots[Math.min(polls++, snapshots.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
    write: (line) => lines.push(line),
    sleep: async () => {},
    intervalMs: 10,
    unreachableMs: 1000,
  });
  return { lines, result, polls };
}

describe('watchJob', () => {
  it('prints each change once, a line per closed round, and ends with the final state', async () => {
    const { lines, result } = await watch([
      snapshot('recruiting', []),
      snapshot('running', [round(0, 'collecting', ['a'])]),
      snapshot('running', [round(0, 'collecting', ['a'])]),
      snapshot('running', [round(0, 'closed', ['a', 'b']), round(1, 'collecting', [])]),
      snapshot('running', [
        round(0, 'closed', ['a', 'b']),
        round(1, 'closed', ['a'], { absent: [{ siteId: 'b', reason: 'missed the round deadline' }] }),
        round(2, 'collecting', []),
      ]),
      snapshot('completed', [
        round(0, 'closed', ['a', 'b']),
        round(1, 'closed', ['a'], { metrics: METRICS }),
        round(2, 'closed', ['a']),
      ]),
    ]);

    expect(result.state).toBe('completed');
    expect(lines).toEqual([
      'job job-1 recruiting',
      'job job-1 running',
      'decision: a accepted',
      'round 0 (feature statistics) open',
      'round 0 (feature statistics): update from a',
      'round 0 (feature statistics) closed: 2 sites (a, b), 1.0 s, 2 KiB up, 4 KiB down',
      'round 1/1 open',
      'round 1/1 closed: 1 site (a), 1.0 s, 2 KiB up, 4 KiB down',
      'round 1/1 not counted: b (missed the round deadline)',
      'round 2 (final evaluation) open',
      'round 1/1 model: accuracy 0.700 (mean of sites; pooled 0.690), AUC 0.750, loss 0.600',
      'round 2 (final evaluation) closed: 1 site (a), 1.0 s, 2 KiB up, 4 KiB down',
      'job job-1 completed',
    ]);
  });

  it('says the round-0 data report once, when the sites’ sealed reports arrive: codes found and the disjoint-codes warning', async () => {
    const data: DataReport = {
      kind: 'hefl-data-report/v1',
      minCellSize: 8,
      sites: 2,
      features: [],
      vocabulary: [
        {
          name: 'cp',
          rows: 40,
          codes: [
            { code: 'typical', count: 20, sites: 1 },
            { code: '1', count: 17, sites: 1 },
          ],
          suppressed: 1,
          unresolved: 0,
          disjoint: true,
        },
      ],
    };
    const closed = [round(0, 'closed', ['a', 'b']), round(1, 'collecting', [])];

    const { lines } = await watch([
      snapshot('running', closed),
      { ...snapshot('running', closed), data },
      { ...snapshot('completed', closed), data },
    ]);
    const panel = renderWatchPanel(
      { ...snapshot('running', closed), data },
      { width: 400, unreachable: false },
    );

    const report = [
      'data found by the sites (totals over all sites; codes below 8 suppressed):',
      "  cp (categorical, codes found): 40 rows; codes: typical 20 (1 of 2 sites), 1 17 (1 of 2 sites); 1 code below 8 not shown (warning: no code is found at every site: do the sites code 'cp' the same way?)",
    ];
    expect(lines.filter((l) => report.includes(l))).toEqual(report);
    expect(panel.slice(-2)).toEqual(report);
  });

  it('reports a failed job with its reason and returns it', async () => {
    const { lines, result } = await watch([snapshot('failed', [], 'fewer than minSites accepted')]);

    expect(result.state).toBe('failed');
    expect(lines.at(-1)).toBe('job job-1 failed: fewer than minSites accepted');
  });

  it('rides out a coordinator restart', async () => {
    const down = new HeflError('unavailable', 'cannot reach the coordinator');

    const { lines, result } = await watch([down, down, snapshot('cancelled', [], 'by researcher')]);

    expect(result.state).toBe('cancelled');
    expect(lines).toEqual([
      'coordinator unreachable; retrying',
      'coordinator reachable again',
      'decision: a accepted',
      'job job-1 cancelled: by researcher',
    ]);
  });

  it('gives up when the coordinator stays unreachable', async () => {
    let t = 0;
    const error = await watchJob({
      poll: async () => {
        throw new HeflError('unavailable', 'cannot reach the coordinator');
      },
      write: () => {},
      sleep: async (ms) => {
        t += ms;
      },
      now: () => t,
      intervalMs: 400,
      unreachableMs: 1000,
    }).catch((e: unknown) => e);

    expect(HeflError.is(error, 'unavailable')).toBe(true);
  });

  it('drives a given display and ends it even when watching fails', async () => {
    const events: string[] = [];
    const display: WatchDisplay = {
      show: (view) => events.push(`show ${view.state}`),
      unreachable: (down) => events.push(down ? 'down' : 'up'),
      end: () => events.push('end'),
    };
    const snapshots = [
      snapshot('running', []),
      new HeflError('unavailable', 'cannot reach the coordinator'),
      snapshot('running', []),
      new Error('boom'),
    ];
    let polls = 0;

    const error = await watchJob({
      poll: async () => {
        const next = snapshots[polls++]!;
        if (next instanceof Error) throw next;
        return next;
      },
      display,
      sleep: async () => {},
      intervalMs: 10,
      unreachableMs: 1000,
    }).catch((e: unknown) => e);

    expect((error as Error).message).toBe('boom');
    expect(events).toEqual(['show running', 'down', 'up', 'show running', 'end']);
  });
});

describe('watchDisplay', () => {
  function stream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, out: { isTTY, columns: 80, rows: 24, write: (text: string) => writes.push(text) } };
  }

  it('redraws a panel on a terminal', () => {
    const { writes, out } = stream(true);
    const display = watchDisplay(out, false);

    display.show(snapshot('running', [round(0, 'collecting', ['a'], { expected: ['a', 'b'] })]));
    display.show(snapshot('completed', [round(0, 'closed', ['a', 'b'])]));
    display.end();

    expect(writes).toHaveLength(2);
    expect(writes[0]).toContain('  · b  waiting\n');
    // The second frame climbs back over the first panel's five lines and replaces it.
    const climbed = [...writes[1]!.matchAll(/\[(\d*)A/g)].reduce((rows, m) => rows + Number(m[1] || 1), 0);
    expect(climbed).toBe(5);
    const screen = new VirtualTerminal();
    for (const text of writes) screen.write(text);
    expect(screen.lines()[0]).toBe('job job-1  completed');
    expect(screen.lines().join('\n')).not.toContain('waiting');
  });

  it('writes plain lines to a pipe, or to a terminal when asked to', () => {
    for (const [isTTY, plain] of [
      [false, false],
      [true, true],
    ]) {
      const { writes, out } = stream(isTTY!);
      watchDisplay(out, plain!).show(snapshot('running', []));

      expect(writes).toEqual(['job job-1 running\n', 'decision: a accepted\n']);
    }
  });
});
