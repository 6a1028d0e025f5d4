import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';
import { waitUntil } from './support/tls-federation.js';

/** Every blob file in the store (content-addressed under two-hex-digit folders; tmp/ excluded). */
function blobFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(dir, d)));
}

describe('the coordinator keeps ciphertext blobs only while they are needed', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    // site-c is slower than the deadline: its late updates are refused every round
    fed = await startTestFederation({
      sites: 3,
      trainerFor: (i, shared) => slowTrainer(shared, i === 2 ? 3_500 : 400),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('drops updates once their round is closed, refused updates at once, and aggregates when the job ends', async () => {
    const blobs = join(fed.dir, 'blobs');
    const { jobId } = await fed.researcher.submit(
      syntheticJob({ rounds: 4, minSites: 2, roundDeadlineSeconds: 2.5 }),
    );
    const job = fed.coordinator.jobs.get(jobId);
    await waitUntil(() => ((job.currentRound?.round ?? 0) >= 2 ? true : undefined), 60_000, 'round 2 open');
    const round1 = job.rounds[1]!;
    const updates1 = [...round1.uploads.values()].map((u) => u.blobDigest);
    expect(updates1.length).toBeGreaterThanOrEqual(2);
    await waitUntil(
      () => (updates1.every((d) => !blobFiles(blobs).includes(d)) ? true : undefined),
      5_000,
      'round 1 updates deleted',
    );
    expect(blobFiles(blobs), 'the closed round’s aggregate stays for catching up').toContain(
      round1.aggregateDigest,
    );

    const status = await waitForJob(fed.researcher, jobId, 90_000);
    expect(status.state, status.reason).toBe('completed');
    expect(fed.audit.entries.some((e) => e.action === 'update.refused')).toBe(true);
    // After the end (and after the straggler's last, refused, update) nothing is left.
    await waitUntil(() => (blobFiles(blobs).length === 0 ? true : undefined), 15_000, 'no blobs left');
  }, 120_000);
});
