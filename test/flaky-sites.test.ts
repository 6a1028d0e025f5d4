import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HeflProcess } from '../cli/simulate/hefl-process.js';
import { runSimulation } from '../cli/simulate/run-simulation.js';
import { faultySiteCommand } from './support/faulty-site-command.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const DEADLINE_S = 6;

function hefl(args: readonly string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

// Five site processes over mutual TLS. hospital-d disappears mid-round (SIGKILL while it
// trains round 2) and stays away; hospital-c is killed at the same moment and its process
// is started again on the same folder a round later (it rejoins from its sealed key and
// the aggregates); hospital-b trains slower than the round deadline, every round.
describe('one job with a site that disappears, one that comes back, one too slow', () => {
  const root = mkdtempSync(join(tmpdir(), 'hefl-flaky-'));
  const out = join(root, 'federation');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('closes every round, and job status and the audit log say why each site was or was not counted', async () => {
    const result = await runSimulation({
      sites: 5,
      rounds: 8, // enough rounds left after round 3 for the restarted site to come back on a loaded machine
      model: { kind: 'logreg' },
      strategy: 'fedavg',
      he: true,
      seed: 11,
      minSites: 2,
      roundDeadlineSeconds: DEADLINE_S,
      local: { epochs: 1, learningRate: 0.1, batchSize: 32 },
      timeoutSeconds: 240,
      onProgress: () => {},
      cliEntry: CLI,
      outDir: out,
      // Training takes 1.5 s everywhere (round 2 opens while c and d train, and rounds are
      // still running when c is back) and longer than the deadline at b.
      siteEntry: (id) =>
        faultySiteCommand({ trainDelayMs: id === 'hospital-b' ? (DEADLINE_S + 3) * 1000 : 1500 }),
      onRoundOpen: async (round, sites) => {
        if (round === 2) {
          await sites.processes.get('hospital-d')!.kill();
          await sites.processes.get('hospital-c')!.kill();
        }
        if (round === 3) await sites.restart('hospital-c');
      },
    });

    expect(result.state, result.reason).toBe('completed');
    const round = (n: number) => result.rounds.find((r) => r.round === n)!;
    const deadline = { reason: 'no update by the round deadline' };
    // disappeared: absent from round 2 with the reason, never counted again
    expect(round(2).absent).toContainEqual({ siteId: 'hospital-d', ...deadline });
    for (const r of result.rounds.filter((r) => r.round >= 2))
      expect(r.participants).not.toContain('hospital-d');
    // came back: absent in round 2, counted again in a later round
    expect(round(2).absent).toContainEqual({ siteId: 'hospital-c', ...deadline });
    expect(result.rounds.some((r) => r.round > 3 && r.participants.includes('hospital-c'))).toBe(true);
    // too slow: never counted in a training round, always with the reason
    for (const r of result.rounds.filter((r) => r.round >= 1 && r.round <= 8)) {
      expect(r.participants).not.toContain('hospital-b');
    }
    expect(round(1).absent).toContainEqual({ siteId: 'hospital-b', ...deadline });
    for (const r of result.rounds) expect(r.participants.length).toBeGreaterThanOrEqual(2);

    // The coordinator's audit log records the same, and why the slow site's update was refused
    // (actors are key ids there; `details.member` names the site).
    const entries = readFileSync(join(out, 'coordinator', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { actor: string; action: string; details: Record<string, unknown> });
    const closed2 = entries.find((e) => e.action === 'round.closed' && e.details.round === 2)!;
    expect(closed2.details.absent).toEqual(
      expect.arrayContaining([
        { siteId: 'hospital-c', ...deadline },
        { siteId: 'hospital-d', ...deadline },
      ]),
    );
    expect(entries.some((e) => e.details.member === 'hospital-c' && e.action === 'job.rejoined')).toBe(true);
    const refused = entries.find((e) => e.details.member === 'hospital-b' && e.action === 'update.refused');
    expect(String(refused?.details.reason)).toMatch(
      /update for round \d+, current round is \d+|round \d+ is closed/,
    );

    // `hefl job status` on the coordinator started again from its folder (state in SQLite)
    const coordinator = new HeflProcess(
      'coordinator',
      ['coordinator', 'start', '--dir', join(out, 'coordinator'), '--port', '0'],
      CLI,
    );
    try {
      const listening = await coordinator.waitFor(
        (l) => l.event === 'coordinator.listening',
        30_000,
        'listening',
      );
      const status = hefl([
        'job',
        'status',
        result.jobId,
        '--dir',
        join(out, 'researcher'),
        '--coordinator',
        `127.0.0.1:${listening.port as number}`,
      ]);
      expect(status.status, status.stderr).toBe(0);
      expect(status.stdout).toContain('state: completed');
      expect(status.stdout).toContain('not counted: hospital-d (no update by the round deadline)');
      expect(status.stdout).toContain('not counted: hospital-c (no update by the round deadline)');
      expect(status.stdout).toContain('not counted: hospital-b (no update by the round deadline)');
    } finally {
      await coordinator.stop();
    }

    // The restarted site's own log survived its SIGKILL and still matches the coordinator's.
    const verified = hefl([
      'audit',
      'verify',
      join(out, 'coordinator', 'audit.jsonl'),
      '--manifest',
      join(out, 'coordinator', 'manifest.json'),
      '--auditor-dir',
      join(out, 'researcher'),
      '--site-log',
      join(out, 'sites', 'hospital-c', 'audit.jsonl'),
    ]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  }, 300_000);
});
