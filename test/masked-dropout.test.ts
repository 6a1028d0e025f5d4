import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trainer } from '../client-node/training/index.js';
import { PLAINTEXT_PROFILE_ID } from '../common/he/plaintext-insecure.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { syntheticJob } from './support/synthetic-job.js';

function job(profile: string, masks: 'pairwise' | undefined) {
  return syntheticJob({
    model: { kind: 'logreg' },
    rounds: 2,
    minSites: 3,
    local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
    he: { profile, clipRange: 1, ...(masks ? { masks } : {}) },
    roundDeadlineSeconds: 6,
    seed: 77,
  });
}

/**
 * site-d sends round 0 (feature statistics), then never finishes training: its first
 * training round is where it drops out, uploading nothing. In the masked job the process is
 * stopped right there (killed); in the plaintext reference it only hangs, which the round
 * sees the same way (nothing by the deadline).
 */
function dropsAtTraining(shared: Trainer, kill: () => void): Trainer {
  let calls = 0;
  return {
    backend: shared.backend,
    train: () => {
      calls++;
      if (calls === 2) kill(); // the second job (the masked one): the site process goes away
      return new Promise(() => {});
    },
    evaluate: (input) => shared.evaluate(input),
    close: () => shared.close(),
  };
}

// site-e trains slower than the deadline: its update for every training round arrives late
// and must be refused (its masks are corrected by then).
// Under masks the survivors' pair masks with site-d do not cancel. The round closes with the
// coordinator's signed request naming U, each survivor sends its encrypted correction, and
// the corrected aggregate is the survivors' sum: no re-run.
describe('pairwise masks with a site killed after uploading nothing (real gRPC, real SEAL)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({
      sites: 5,
      seed: 5,
      trainerFor: (i, shared) =>
        i === 3
          ? dropsAtTraining(shared, () => fed.sites[3]!.stop())
          : i === 4
            ? slowTrainer(shared, 10_000)
            : shared,
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it("the corrected round equals the survivors' plaintext FedAvg within 1e-5, without a re-run", async () => {
    const plain = await fed.researcher.submit(job(PLAINTEXT_PROFILE_ID, undefined));
    const plainStatus = await waitForJob(fed.researcher, plain.jobId, 120_000);
    expect(plainStatus.state, plainStatus.reason).toBe('completed');
    const masked = await fed.researcher.submit(job('bgv-n2048-q54-t38/v1', 'pairwise'));
    const maskedStatus = await waitForJob(fed.researcher, masked.jobId, 120_000);
    expect(maskedStatus.state, maskedStatus.reason).toBe('completed');

    const entries = (jobId: string, action: string) =>
      fed.audit.entries.filter((e) => e.action === action && e.details.jobId === jobId);
    // Never found invalid, never re-run.
    expect(entries(masked.jobId, 'round.aggregate-invalid')).toEqual([]);
    expect(entries(masked.jobId, 'round.opened').filter((e) => (e.details.attempt ?? 0) !== 0)).toEqual([]);
    // Round 1 lost site-d (killed) and site-e (late): one correction exchange, answered by
    // the three survivors. (A later round has one too if site-e was back in it in time.)
    const requested = entries(masked.jobId, 'round.mask-correction-requested');
    expect(requested.find((r) => r.details.round === 1)?.details).toMatchObject({
      participants: ['site-a', 'site-b', 'site-c'],
      dropped: ['site-d', 'site-e'],
    });
    const corrected = entries(masked.jobId, 'round.mask-corrected').map(
      (e) => `${e.details.round} ${e.actor}`,
    );
    expect(corrected.sort()).toEqual(
      requested
        .flatMap((r) => (r.details.participants as string[]).map((s) => `${r.details.round} ${s}`))
        .sort(),
    );
    // site-e's late update for round 1 (sent ~4 s after the open) is refused, not summed:
    // by then the round is correcting or closed (or the next round is open).
    const late = () =>
      fed.logs.filter(
        (l) =>
          l.site === 'site-e' &&
          l.event === 'task.failed' &&
          l.fields.job === masked.jobId &&
          l.fields.task === 'roundOpen',
      );
    for (const until = Date.now() + 15_000; late().length === 0 && Date.now() < until; )
      await new Promise((r) => setTimeout(r, 100));
    expect(late().length).toBeGreaterThan(0);
    for (const l of late()) expect(String(l.fields.error)).toMatch(/FAILED_PRECONDITION|DEADLINE_EXCEEDED/);
    const accepted = entries(masked.jobId, 'update.accepted').filter((e) => e.actor === 'site-e');
    expect(accepted.map((e) => e.details.round)).not.toContain(1);
    expect(accepted.map((e) => e.details.round)).not.toContain(2);
    expect(fed.logs.filter((l) => l.event === 'round.aggregate-invalid')).toEqual([]);
    const round1 = maskedStatus.roundStatus.find((r) => r.round === 1)!;
    expect(round1.participants).toEqual(['site-a', 'site-b', 'site-c']);

    const survivors = fed.sites.slice(0, 3);
    const a = await finalModels({ ...fed, sites: survivors }, masked.jobId);
    const b = (await finalModels({ ...fed, sites: survivors }, plain.jobId))[0]!;
    for (const m of a) expect(Array.from(m)).toEqual(Array.from(a[0]!));
    let worst = 0;
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[0]![i]! - b[i]!));
    expect(a[0]!.length).toBe(b.length);
    expect(worst).toBeLessThan(1e-5);
  }, 240_000);
});
