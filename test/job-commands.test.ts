import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessFederation, startProcessFederation } from './support/process-federation.js';

const CLI = resolve('dist/cli/main.js');
const SITES = ['hospital-a', 'hospital-b'];

const JOB_YAML = `
name: job-commands-test
model: { kind: logreg }
rounds: 2
local: { epochs: 1, batchSize: 32, learningRate: 0.1 }
strategy: { name: fedavg }
minSites: 2
roundDeadlineSeconds: 30
recruitSeconds: 30
he: { profile: bgv-n2048-q54-t38/v1 }
data:
  label: event
  categorical: [chest_pain, ecg]
seed: 7
`;

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/cli/main.js ...args` with stdout not a terminal. */
function runBuiltCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('exit', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

describe('hefl job submit | watch | status | list against a real federation', () => {
  let root: string;
  let researcherDir: string;
  let address: string;
  const hefl = (...args: string[]) => runBuiltCli(args);

  let fed: ProcessFederation | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hefl-job-commands-'));
    fed = await startProcessFederation(root, SITES, { cli: CLI });
    researcherDir = fed.provisioned.researcherDir;
    address = fed.address;
  });

  afterAll(async () => {
    await fed?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('refuses an invalid job file with every problem and exit 2', async () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, 'model: { kind: tree }\nrounds: -1\n');

    const run = await hefl('job', 'submit', file, '--dir', researcherDir, '--coordinator', address);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/model\.kind: /);
    expect(run.stderr).toMatch(/rounds: /);
    expect(run.stderr).toMatch(/data: /);
  });

  it('submits a YAML job, watches it to the end, then reports its status and lists it', async () => {
    const file = join(root, 'job.yaml');
    writeFileSync(file, JOB_YAML);
    const common = ['--dir', researcherDir, '--coordinator', address];

    const submitted = await hefl('job', 'submit', file, ...common);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = /^job id: (\S+)$/m.exec(submitted.stdout)?.[1];
    const jobHash = /^job hash: ([0-9a-f]{64})$/m.exec(submitted.stdout)?.[1];
    expect(jobId).toBeDefined();
    expect(jobHash).toBeDefined();

    const watched = await hefl('job', 'watch', jobId!, ...common, '--interval', '200');
    const lines = watched.stdout.trim().split('\n');
    expect(watched.code, watched.stderr).toBe(0);
    expect(lines.at(-1)).toBe(`job ${jobId} completed`);
    for (const label of [
      'round 0 (feature statistics)',
      'round 1/2',
      'round 2/2',
      'round 3 (final evaluation)',
    ]) {
      expect(lines.filter((l) => l.startsWith(`${label} closed: 2 sites`))).toHaveLength(1);
    }
    expect(lines.some((l) => /^round 2\/2 model: accuracy 0\.\d{3}/.test(l))).toBe(true);

    const status = await hefl('job', 'status', jobId!, ...common, '--json');
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout);
    expect(view).toMatchObject({ jobId, jobHash, state: 'completed', trainingRounds: 2 });
    const decisions = [...view.decisions].sort((a: { siteId: string }, b: { siteId: string }) =>
      a.siteId.localeCompare(b.siteId),
    );
    expect(decisions).toEqual(SITES.map((siteId) => ({ siteId, accept: true, reason: expect.any(String) })));
    expect(view.rounds.map((r: { round: number; state: string }) => [r.round, r.state])).toEqual([
      [0, 'closed'],
      [1, 'closed'],
      [2, 'closed'],
      [3, 'closed'],
    ]);
    for (const r of view.rounds) expect([...r.participants].sort()).toEqual(SITES);
    // Round 0 found the codes of the short job's categorical columns (the same codes at both
    // hospitals: no site counts, no disjoint-codes warning), shown by watch and in the status.
    expect(lines).toContain('data found by the sites (totals over all sites; codes below 5 suppressed):');
    const found = lines.find((l) => l.startsWith('  chest_pain (categorical, codes found): '));
    expect(found).toMatch(/^ {2}chest_pain \(categorical, codes found\): \d+ rows; codes: [a-z-]+ \d+, /);
    expect(found).not.toMatch(/sites\)|warning/);
    expect(
      view.data.vocabulary.map((v: { name: string; disjoint: boolean }) => [v.name, v.disjoint]),
    ).toEqual([
      ['chest_pain', false],
      ['ecg', false],
    ]);
    // Opened with the researcher's key: the sites' held-out metrics of the last training round.
    expect(view.final.examples).toBeGreaterThan(0);
    for (const m of ['accuracy', 'pooledAccuracy', 'auc'] as const) {
      expect(view.final[m]).toBeGreaterThanOrEqual(0);
      expect(view.final[m]).toBeLessThanOrEqual(1);
    }

    const listed = await hefl('job', 'list', ...common);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`^${jobId}\\s+completed\\s+round 3/3\\s+hash ${jobHash!.slice(0, 16)}`, 'm'),
    );

    // The researcher receives the model, sealed to it by the sites, in TensorFlow.js layers format.
    const out = join(root, 'model');
    const fetched = await hefl('model', 'fetch', jobId!, '--out', out, ...common);
    expect(fetched.code, fetched.stderr).toBe(0);
    const modelJson = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
      modelTopology: object;
      weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
    };
    const weights = readFileSync(join(out, 'weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0]!.weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    const card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as {
      features: { names: string[] };
    };
    expect(model.inputs[0]!.shape[1]).toBe(card.features.names.length);
    model.dispose();
    const again = await hefl('model', 'fetch', jobId!, '--out', out, ...common);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a model/);
  });
});
