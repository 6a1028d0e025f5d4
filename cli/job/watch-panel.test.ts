import { describe, expect, it } from 'vitest';
import type { JobStatusView, RoundView } from './format-job-status.js';
import { renderWatchPanel } from './watch-panel.js';

const SITES = ['hospital-a', 'hospital-b', 'hospital-c'];
const METRICS = { accuracy: 0.7123, pooledAccuracy: 0.705, auc: 0.781, loss: 0.563, examples: 120 };
const WIDE = { width: 200, unreachable: false };

function round(n: number, state: string, participants: string[], extra: Partial<RoundView> = {}): RoundView {
  return {
    round: n,
    phase: n === 0 ? 'statistics' : n > 2 ? 'evaluation' : 'training',
    state,
    expected: SITES,
    participants,
    absent: [],
    seconds: 2.25,
    bytesUp: 3072,
    bytesDown: 6144,
    metrics: null,
    modelHash: null,
    ...extra,
  };
}

function job(rounds: RoundView[], overrides: Partial<JobStatusView> = {}): JobStatusView {
  return {
    jobId: 'job-1',
    jobHash: 'ab'.repeat(32),
    state: 'running',
    reason: '',
    currentRound: rounds.at(-1)?.round ?? 0,
    trainingRounds: 2,
    decisions: [
      { siteId: 'hospital-a', accept: true, reason: '' },
      { siteId: 'hospital-b', accept: true, reason: '' },
      { siteId: 'hospital-c', accept: true, reason: '' },
    ],
    rounds,
    final: null,
    ...overrides,
  };
}

describe('renderWatchPanel', () => {
  it("lists each expected site's progress in the round being collected", () => {
    const lines = renderWatchPanel(
      job([
        round(0, 'closed', SITES),
        round(1, 'collecting', ['hospital-b'], {
          absent: [{ siteId: 'hospital-c', reason: 'update failed validation' }],
        }),
      ]),
      WIDE,
    );

    expect(lines).toEqual([
      'job job-1  running',
      'decisions: 3 accepted',
      'round 0 (feature statistics)  closed       ✓ hospital-a  ✓ hospital-b  ✓ hospital-c  2.3 s, 3 KiB up, 6 KiB down',
      'round 1/2                     collecting   1 of 3 sites uploaded, 2.3 s, 3 KiB up, 6 KiB down',
      '  · hospital-a  waiting',
      '  ✓ hospital-b  uploaded',
      '  ✗ hospital-c  not counted (update failed validation)',
    ]);
  });

  it('shows a closed round on one line with who was not counted and why, then its metrics', () => {
    const lines = renderWatchPanel(
      job(
        [
          round(1, 'closed', ['hospital-a', 'hospital-b'], {
            absent: [{ siteId: 'hospital-c', reason: 'missed the round deadline' }],
            metrics: METRICS,
          }),
        ],
        { state: 'completed', final: METRICS },
      ),
      WIDE,
    );

    expect(lines.slice(2)).toEqual([
      'round 1/2  closed       ✓ hospital-a  ✓ hospital-b  ✗ hospital-c  2.3 s, 3 KiB up, 6 KiB down',
      '  not counted: hospital-c (missed the round deadline)',
      '  model: accuracy 0.712 (mean of sites; pooled 0.705), AUC 0.781, loss 0.563',
      'final model: accuracy 0.712 (mean of sites; pooled 0.705), AUC 0.781, loss 0.563',
    ]);
  });

  it('keeps sites a coordinator names outside `expected`', () => {
    const lines = renderWatchPanel(job([round(0, 'collecting', ['hospital-a'], { expected: [] })]), WIDE);

    expect(lines.slice(2)).toEqual([
      'round 0 (feature statistics)  collecting   1 of 1 sites uploaded, 2.3 s, 3 KiB up, 6 KiB down',
      '  ✓ hospital-a  uploaded',
    ]);
  });

  it('shows the end state with its reason and declined sites', () => {
    const lines = renderWatchPanel(
      job([], {
        state: 'failed',
        reason: 'fewer than minSites accepted',
        decisions: [
          { siteId: 'hospital-a', accept: true, reason: '' },
          { siteId: 'hospital-b', accept: false, reason: 'model kind mlp not allowed' },
        ],
      }),
      WIDE,
    );

    expect(lines).toEqual([
      'job job-1  failed: fewer than minSites accepted',
      'decisions: 1 accepted; hospital-b declined (model kind mlp not allowed)',
    ]);
  });

  it('notes an unreachable coordinator, also before the first answer', () => {
    expect(renderWatchPanel(null, { width: 80, unreachable: true })).toEqual([
      'waiting for the coordinator',
      'coordinator unreachable; retrying',
    ]);
    expect(renderWatchPanel(job([]), { width: 80, unreachable: true }).at(-1)).toBe(
      'coordinator unreachable; retrying',
    );
  });

  it('cuts every line to the width', () => {
    const lines = renderWatchPanel(job([round(0, 'collecting', ['hospital-a'])]), {
      width: 24,
      unreachable: true,
    });

    expect(lines.every((line) => line.length <= 24)).toBe(true);
    expect(lines).toContain('decisions: 3 accepted');
    expect(lines).toContain('round 0 (feature statis…');
    expect(lines).toContain('coordinator unreachable…');
  });
});
