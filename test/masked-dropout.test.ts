import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trainer } from '../client-node/training/index.js';
import { PLAINTEXT_PROFILE_ID } from '../common/he/plaintext-insecure.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from '../experiments/harness/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

function job(profile: string, masks: 'pairwise' | undefined) {
  return syntheticJob({
    model: { kind: 'logreg' },
    rounds: 2,
    minSites: 3,
    local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
    he: { profile, clipRange: 1, ...(masks ? { masks } : {}) },
    roundDeadlineSeconds: 2.5,
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

// Under masks the survivors' pair masks with site-d do not cancel. The round closes with the
// coordinator's signed request naming U, each survivor sends its encrypted correction, and
// the corrected aggregate is the survivors' sum: no re-run.
describe('pairwise masks with a site killed after uploading nothing (real gRPC, real SEAL)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({
      sites: 4,
      seed: 5,
      trainerFor: (i, shared) => (i === 3 ? dropsAtTraining(shared, () => fed.sites[3]!.stop()) : shared),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it("the corrected round equals the survivors' plaintext FedAvg within 1e-5, without a re-run", async () => {
    const plain = await fed.researcher.submit(job(PLAINTEXT_PROFILE_ID, undefined));
    expect((await waitForJob(fed.researcher, plain.jobId, 120_000)).state).toBe('completed');
    const masked = await fed.researcher.submit(job('bgv-n2048-q54-t38/v1', 'pairwise'));
    const maskedStatus = await waitForJob(fed.researcher, masked.jobId, 120_000);
    expect(maskedStatus.state).toBe('completed');

    const entries = (jobId: string, action: string) =>
      fed.audit.entries.filter((e) => e.action === action && e.details.jobId === jobId);
    // Never found invalid, never re-run.
    expect(entries(masked.jobId, 'round.aggregate-invalid')).toEqual([]);
    expect(entries(masked.jobId, 'round.opened').filter((e) => (e.details.attempt ?? 0) !== 0)).toEqual([]);
    // One correction exchange, in round 1, answered by the three survivors; nothing re-run.
    const requested = entries(masked.jobId, 'round.mask-correction-requested');
    expect(requested.map((e) => [e.details.round, e.details.participants, e.details.dropped])).toEqual([
      [1, ['site-a', 'site-b', 'site-c'], ['site-d']],
    ]);
    expect(
      entries(masked.jobId, 'round.mask-corrected')
        .map((e) => e.actor)
        .sort(),
    ).toEqual(['site-a', 'site-b', 'site-c']);
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
