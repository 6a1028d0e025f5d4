import { describe, expect, it } from 'vitest';
import type { JobStatus, RoundStatus } from '../../proto/gen/hefl/v1/services.js';
import {
  formatJobListLine,
  formatJobStatus,
  type JobStatusView,
  jobStatusView,
  type RoundView,
  roundLabel,
  siteProgress,
} from './format-job-status.js';

function roundStatus(round: number, overrides: Partial<RoundStatus> = {}): RoundStatus {
  return {
    round,
    state: 'closed',
    participants: ['hospital-a', 'hospital-b'],
    expected: ['hospital-a', 'hospital-b'],
    absent: [],
    seconds: 1.25,
    bytesUp: 4096,
    bytesDown: 8192,
    reports: [],
    sections: [],
    ...overrides,
  };
}

function status(overrides: Partial<JobStatus> = {}): JobStatus {
  return {
    jobId: 'job-1',
    jobHash: 'ab'.repeat(32),
    state: 'running',
    reason: '',
    currentRound: 2,
    rounds: 2,
    decisions: [
      { siteId: 'hospital-a', accept: true, reason: '' },
      { siteId: 'hospital-c', accept: false, reason: 'model kind mlp not allowed' },
    ],
    roundStatus: [
      roundStatus(0),
      roundStatus(1, { absent: [{ siteId: 'hospital-c', reason: 'missed the round deadline' }] }),
      roundStatus(2, { state: 'collecting', participants: ['hospital-a'] }),
    ],
    awaitingApproval: [],
    ...overrides,
  };
}

const METRICS = { accuracy: 0.7123, pooledAccuracy: 0.7, auc: 0.8, loss: 0.55, examples: 120 };

function view(rounds: RoundView[], overrides: Partial<JobStatusView> = {}): JobStatusView {
  return {
    jobId: 'job-1',
    jobHash: 'ab'.repeat(32),
    state: 'completed',
    reason: '',
    currentRound: 3,
    trainingRounds: 2,
    decisions: [{ siteId: 'hospital-a', accept: true, reason: '' }],
    rounds,
    final: null,
    ...overrides,
  };
}

describe('jobStatusView', () => {
  it('names each coordinator round and keeps participants, absences and decisions with reasons', () => {
    const v = jobStatusView(status(), new Uint8Array(32), () => true);

    expect(v.rounds.map((r) => [r.round, r.phase, r.state])).toEqual([
      [0, 'statistics', 'closed'],
      [1, 'training', 'closed'],
      [2, 'training', 'collecting'],
    ]);
    expect(v.rounds[1]!.absent).toEqual([{ siteId: 'hospital-c', reason: 'missed the round deadline' }]);
    expect(v.decisions[1]).toEqual({
      siteId: 'hospital-c',
      accept: false,
      reason: 'model kind mlp not allowed',
    });
    expect(v.rounds.every((r) => r.metrics === null)).toBe(true);
    expect(v.final).toBeNull();
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});

describe('siteProgress', () => {
  it('marks each site uploaded, waiting or not counted with the reason', () => {
    const collecting = jobStatusView(
      status({
        roundStatus: [
          roundStatus(1, {
            state: 'collecting',
            participants: ['hospital-b'],
            expected: ['hospital-a', 'hospital-b', 'hospital-c'],
            absent: [{ siteId: 'hospital-c', reason: 'update failed validation' }],
          }),
        ],
      }),
      new Uint8Array(32),
      () => true,
    ).rounds[0]!;

    expect(siteProgress(collecting)).toEqual([
      { siteId: 'hospital-a', state: 'waiting', reason: '' },
      { siteId: 'hospital-b', state: 'uploaded', reason: '' },
      { siteId: 'hospital-c', state: 'not counted', reason: 'update failed validation' },
    ]);
    // Once the round closed, a site that never sent its update was not counted.
    expect(siteProgress({ ...collecting, state: 'closed', absent: [] })).toEqual([
      { siteId: 'hospital-a', state: 'not counted', reason: '' },
      { siteId: 'hospital-b', state: 'uploaded', reason: '' },
      { siteId: 'hospital-c', state: 'not counted', reason: '' },
    ]);
  });
});

describe('formatJobStatus', () => {
  it('prints state, decisions, one line per round with absences, and the final metrics', () => {
    const rounds = jobStatusView(status({ state: 'completed' }), new Uint8Array(32), () => true).rounds.map(
      (r) => (r.round === 2 ? { ...r, state: 'closed', metrics: METRICS } : r),
    );
    const text = formatJobStatus(
      view(rounds, {
        decisions: [{ siteId: 'hospital-c', accept: false, reason: 'model kind mlp not allowed' }],
        final: METRICS,
      }),
    );

    expect(text).toContain('state: completed');
    expect(text).toContain('decisions: hospital-c declined (model kind mlp not allowed)');
    expect(text).toContain(
      'round 0 (feature statistics) closed: 2 sites (hospital-a, hospital-b), 1.3 s, 4 KiB up, 8 KiB down',
    );
    expect(text).toContain('  not counted: hospital-c (missed the round deadline)');
    expect(text).toContain('round 2/2 closed: 1 site (hospital-a)');
    expect(text).toContain(
      'final model: accuracy 0.712 (mean of sites; pooled 0.700), AUC 0.800, loss 0.550',
    );
  });

  it('names the sites a collecting round still waits for', () => {
    const v = jobStatusView(status(), new Uint8Array(32), () => true);

    expect(v.rounds[2]!.expected).toEqual(['hospital-a', 'hospital-b']);
    expect(formatJobStatus(v)).toContain(
      'round 2/2 collecting: 1 site (hospital-a), 1.3 s, 4 KiB up, 8 KiB down\n  waiting for: hospital-b\n',
    );
  });

  it('labels rounds by phase', () => {
    expect([0, 1, 3, 4].map((r) => roundLabel(r, 3))).toEqual([
      'round 0 (feature statistics)',
      'round 1/3',
      'round 3/3',
      'round 4 (final evaluation)',
    ]);
  });

  it('lists a job on one line', () => {
    expect(formatJobListLine(status({ state: 'failed', reason: 'too few sites' }))).toBe(
      `job-1  failed      round 2/3  hash ${'ab'.repeat(8)}  too few sites`,
    );
  });
});
