import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

function hefl(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 240_000 });
}

interface SimulateJson {
  state: string;
  isolation: string;
  sites: string[];
  rounds: { round: number; participants: string[]; metrics: { accuracy: number } | null }[];
  final: { accuracy: number } | null;
  memory: { coordinatorPeakMiB: number | null; sitesPeakMiB: number | null };
  outDir: string;
  modelDir: string;
  modelHash: string;
}

/*
 * `hefl simulate --isolation in-process` (issue 20): the site nodes run inside the simulate
 * process (the coordinator stays a child process), still each with its own folder, keys,
 * mutual-TLS identity and signed audit log, so the output is that of process mode.
 */
describe.runIf(existsSync(CLI))('`hefl simulate --isolation in-process`', () => {
  const root = mkdtempSync(join(tmpdir(), 'hefl-sim-inproc-'));
  const out = join(root, 'federation');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs 5 sites in one process through a logreg job whose logs verify against every site log', () => {
    const sim = hefl([
      'simulate',
      '--isolation',
      'in-process',
      '--sites',
      '5',
      '--rounds',
      '2',
      '--model',
      'logreg',
      '--out',
      out,
      '--json',
    ]);

    expect(sim.status, sim.stderr).toBe(0);
    expect(sim.stderr).toContain('5 site nodes in this process');
    const result = JSON.parse(sim.stdout) as SimulateJson;
    expect(result.state).toBe('completed');
    expect(result.isolation).toBe('in-process');
    expect(result.sites).toHaveLength(5);
    const training = result.rounds.filter((r) => r.round >= 1);
    expect(training.map((r) => r.round)).toEqual([1, 2]);
    for (const r of training) expect([...r.participants].sort()).toEqual([...result.sites].sort());
    expect(result.final?.accuracy).toBeGreaterThan(0.5);
    expect(result.memory.coordinatorPeakMiB).toBeGreaterThan(20);
    expect(result.memory.sitesPeakMiB).toBeGreaterThan(20);
    // the same folders as process mode, one per site with its own keys and signed audit log
    expect(readdirSync(out).sort()).toEqual(['coordinator', 'data', 'model', 'researcher', 'sites']);
    expect(readdirSync(join(out, 'sites')).sort()).toEqual([...result.sites].sort());
    const signingKeys = new Set(
      result.sites.map((s) => readFileSync(join(out, 'sites', s, 'signing-key.json'), 'utf8')),
    );
    expect(signingKeys.size).toBe(5);
    const card = JSON.parse(readFileSync(join(result.modelDir, 'model-card.json'), 'utf8')) as {
      modelHash: string;
    };
    expect(card.modelHash).toBe(result.modelHash);

    const siteLogs = result.sites.flatMap((s) => ['--site-log', join(out, 'sites', s, 'audit.jsonl')]);
    const verified = hefl([
      'audit',
      'verify',
      join(out, 'coordinator', 'audit.jsonl'),
      '--manifest',
      join(out, 'coordinator', 'manifest.json'),
      '--auditor-dir',
      join(out, 'researcher'),
      ...siteLogs,
      '--json',
    ]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).ok).toBe(true);
    for (const s of result.sites) {
      const entries = readFileSync(join(out, 'sites', s, 'audit.jsonl'), 'utf8');
      expect(entries, `${s} recorded its own acceptance`).toContain('site.accepted');
    }
  }, 300_000);

  it('refuses an unknown --isolation before starting anything', () => {
    const bad = hefl(['simulate', '--isolation', 'threads']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--isolation');
  });
});
