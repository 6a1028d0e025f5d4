import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJobStatus, jobStatusView } from '../cli/job/format-job-status.js';
import { ApprovalStore } from '../client-node/policy/approval-store.js';
import { PendingOffers } from '../client-node/policy/pending-offers.js';
import { defaultPolicyContext, type SitePolicyContext } from '../client-node/policy/site-policy-context.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { runCli } from './support/run-cli.js';
import { syntheticJob } from './support/synthetic-job.js';

/** site-b's policy says `approval: explicit`; its approvals and pending list live in its folder. */
function explicitPolicy(dir: string): SitePolicyContext {
  const base = defaultPolicyContext();
  return {
    ...base,
    policy: { ...base.policy, approval: 'explicit' },
    approvals: new ApprovalStore(dir),
    pendingOffers: new PendingOffers(dir),
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('explicit approval (approval: explicit at site-b)', () => {
  let fed: TestFederation;
  let siteB: string;
  beforeAll(async () => {
    siteB = mkdtempSync(join(tmpdir(), 'hefl-site-b-'));
    fed = await startTestFederation({
      sites: 2,
      policyFor: (i) => (i === 1 ? explicitPolicy(siteB) : undefined),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
    rmSync(siteB, { recursive: true, force: true });
  });

  const statusText = async (jobId: string) =>
    formatJobStatus(
      jobStatusView(
        await fed.researcher.status(jobId),
        fed.researcherKeys.sealingSecretKey,
        (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
      ),
    );

  it('keeps the job waiting (listed by hefl site pending) until hefl site approve lets it start', async () => {
    const job = syntheticJob({ name: 'needs-approval', rounds: 1, minSites: 2, recruitSeconds: 60 });
    const { jobId } = await fed.researcher.submit(job);

    // The researcher sees whom the job waits for; the site lists it with its facts.
    await until('site-b to hold the offer', async () =>
      (await fed.researcher.status(jobId)).awaitingApproval.includes('site-b') ? true : undefined,
    );
    const pendingText = await until('the pending list', async () => {
      const out = await runCli('site', 'pending', '--dir', siteB);
      return out.includes(jobId) ? out : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500)); // an immediate decline would have failed the job by now
    const waiting = await fed.researcher.status(jobId);
    const text = await statusText(jobId);
    const [pending] = JSON.parse(await runCli('site', 'pending', '--dir', siteB, '--json')).pending;

    expect(waiting.state).toBe('recruiting');
    expect(waiting.decisions.map((d) => d.siteId)).toEqual(['site-a']);
    expect(text).toContain('waiting for approval at site-b');
    expect(pendingText).toContain(job.hash);
    expect(pending).toMatchObject({
      jobId,
      jobHash: job.hash,
      model: 'logreg',
      rounds: 1,
      dp: null,
      researcher: 'researcher-1',
    });

    // Approved by the job's id (the hash works too); the running node picks it up.
    const approved = await runCli('site', 'approve', '--dir', siteB, jobId);
    const done = await waitForJob(fed.researcher, jobId, 60_000);

    expect(approved).toContain(`approved job ${job.hash}`);
    expect(done.state).toBe('completed');
    expect(done.decisions.map((d) => [d.siteId, d.accept]).sort()).toEqual([
      ['site-a', true],
      ['site-b', true],
    ]);
    expect(done.awaitingApproval).toEqual([]);
    expect(await runCli('site', 'pending', '--dir', siteB)).toContain('no job waits for approval');
  }, 90_000);

  it('hefl site decline makes the site answer no, naming the operator’s choice', async () => {
    const job = syntheticJob({ name: 'to-decline', rounds: 1, minSites: 2, recruitSeconds: 60 });
    const { jobId } = await fed.researcher.submit(job);
    await until('site-b to hold the offer', async () =>
      (await fed.researcher.status(jobId)).awaitingApproval.includes('site-b') ? true : undefined,
    );

    await runCli('site', 'decline', '--dir', siteB, job.hash);
    const done = await waitForJob(fed.researcher, jobId, 20_000);

    expect(done.state).toBe('failed');
    expect(done.reason).toMatch(/site-b: declined by this site's operator \(hefl site decline\)/);
  }, 40_000);

  it('a job nobody approves fails at its recruiting deadline, naming the site that never answered', async () => {
    const job = syntheticJob({ name: 'never-approved', rounds: 1, minSites: 2, recruitSeconds: 3 });
    const started = Date.now();
    const { jobId } = await fed.researcher.submit(job);

    const done = await waitForJob(fed.researcher, jobId, 20_000);

    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(done.state).toBe('failed');
    expect(done.reason).toMatch(/only 1 site\(s\) accepted/);
    expect(done.reason).toMatch(/site-b: no answer \(its operator never approved the job/);
    // The ended job is no longer listed as pending at the site.
    await until('the pending list to empty', async () =>
      (await new PendingOffers(siteB).read()).length === 0 ? true : undefined,
    );
  }, 40_000);
});
