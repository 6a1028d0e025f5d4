import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultySiteCommand } from './support/faulty-site-command.js';
import { type ProcessFederation, startProcessFederation } from './support/process-federation.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const LATE = 'hospital-c';

const JOB_YAML = `
name: admitted-mid-job
model: { kind: logreg }
rounds: 8
local: { epochs: 1, batchSize: 32, learningRate: 0.1 }
minSites: 2
roundDeadlineSeconds: 30
recruitSeconds: 20
data: { label: event, categorical: [chest_pain, ecg] }
seed: 3
`;

function hefl(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
}

// Issue 4: "A site that joins later gets the key the same way." A hospital is enrolled and
// admitted with the real commands while a job runs on two others; its node joins that job.
describe('a hospital admitted while a job runs (separate processes, mutual TLS)', () => {
  const root = mkdtempSync(join(tmpdir(), 'hefl-admitted-'));
  let fed: ProcessFederation | undefined;
  afterAll(async () => {
    await fed?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('gets the job key from a site holding it, catches up, takes part, and the researcher sees its reports', async () => {
    // rounds take ~3 s of training, so the job is still running when the new site arrives
    fed = await startProcessFederation(root, ['hospital-a', 'hospital-b'], {
      cli: CLI,
      hospitals: 3,
      siteEntry: faultySiteCommand({ trainDelayMs: 3000 }),
    });
    const common = ['--dir', fed.provisioned.researcherDir, '--coordinator', fed.address];
    const jobFile = join(root, 'job.yaml');
    writeFileSync(jobFile, JOB_YAML);
    const submitted = hefl('job', 'submit', jobFile, ...common);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = /^job id: (\S+)$/m.exec(submitted.stdout)![1]!;
    await fed.coordinator.waitFor(
      (l) => l.event === 'update.accepted' && l.round === 1,
      60_000,
      'training round 1 under way',
    );

    // The new hospital enrols on "its own machine"; the coordinator operator admits it.
    const siteDir = join(root, 'sites', LATE);
    expect(hefl('site', 'enroll', '--dir', siteDir, '--id', LATE).code).toBe(0);
    const admission = join(root, 'admission-c.json');
    const admitted = hefl(
      'federation',
      'admit',
      join(siteDir, 'enrolment-request.json'),
      '--dir',
      fed.provisioned.coordinatorDir,
      '--out',
      admission,
    );
    expect(admitted.code, admitted.stderr).toBe(0);
    expect(hefl('site', 'install-admission', admission, '--dir', siteDir).code).toBe(0);
    await fed.startSite(LATE, siteDir, 2, faultySiteCommand({ trainDelayMs: 3000 }));

    const watched = hefl('job', 'watch', jobId, ...common, '--interval', '300');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`decision: ${LATE} accepted`);

    const status = hefl('job', 'status', jobId, ...common, '--json');
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout) as {
      state: string;
      rounds: { round: number; participants: string[] }[];
    };
    expect(view.state).toBe('completed');
    const joined = view.rounds.filter((r) => r.participants.includes(LATE));
    expect(joined.length, 'the late site contributed updates').toBeGreaterThan(0);
    expect(joined[0]!.round).toBeGreaterThan(1);

    // The researcher's model comes sealed by every final-round site, the newcomer included.
    const out = join(root, 'model');
    const fetched = hefl('model', 'fetch', jobId, '--out', out, ...common);
    expect(fetched.code, fetched.stderr).toBe(0);
    const card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as {
      participatingSites: string[];
    };
    expect(card.participatingSites).toContain(LATE);

    // The coordinator's log shows who sealed the key to the newcomer; its own log agrees.
    const coordinatorLog = join(fed.provisioned.coordinatorDir, 'audit.jsonl');
    expect(readFileSync(coordinatorLog, 'utf8')).toMatch(new RegExp(`"key\\.granted".*"to":"${LATE}"`));
    const verified = hefl(
      'audit',
      'verify',
      coordinatorLog,
      '--manifest',
      join(fed.provisioned.coordinatorDir, 'manifest.json'),
      '--auditor-dir',
      siteDir,
      '--site-log',
      join(siteDir, 'audit.jsonl'),
    );
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  }, 240_000);
});
