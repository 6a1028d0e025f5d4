import { describe, expect, it } from 'vitest';
import { type DpBudget, parseDpBudget } from '../../common/dp/dp-budget.js';
import { computeEpsilon } from '../../common/dp/rdp-accountant.js';
import { HeflError } from '../../common/errors/index.js';
import { type JobSpecInput, parseJobSpec } from '../../common/job/job-spec.js';
import { evaluateJob, type JobEvaluationInput } from './evaluate-job.js';
import { defaultSitePolicy, parseSitePolicy, type SitePolicy } from './site-policy.js';

const HASH = 'ab'.repeat(32);

function job(overrides: Partial<JobSpecInput> = {}) {
  return parseJobSpec({ model: { kind: 'logreg' }, rounds: 10, data: { label: 'y' }, ...overrides }).spec;
}

function policy(overrides: Record<string, unknown> = {}): SitePolicy {
  return parseSitePolicy({ version: 1, ...overrides });
}

function ledger(epsilonTotal = 5, spent: { jobHash: string; epsilon: number }[] = []): DpBudget {
  return parseDpBudget({ epsilonTotal, delta: 1e-5, spent });
}

function evaluate(input: Partial<JobEvaluationInput> = {}) {
  return evaluateJob({
    policy: defaultSitePolicy(),
    spec: job(),
    jobHash: HASH,
    budget: ledger(),
    approvals: new Set(),
    sitesExpected: 3,
    ...input,
  });
}

function declineReason(input: Partial<JobEvaluationInput>): string {
  const result = evaluate(input);
  if (result.accept) throw new Error('expected a decline');
  return result.reason;
}

const DP = { unit: 'site' as const, epsilon: 1, delta: 1e-5, clipNorm: 0.5 };
const RECORD_DP = { epsilon: 2, delta: 1e-5, clipNorm: 1 };

describe('evaluateJob', () => {
  it('accepts a job without DP under the defaults, spending nothing', () => {
    expect(evaluate()).toEqual({
      accept: true,
      epsilonThisJob: 0,
      noiseMultiplier: 0,
      unit: null,
      dp: null,
      dpSgd: null,
    });
  });

  it('accepts a DP job with the sigma that reaches its epsilon over its rounds at sampling rate 1', () => {
    const result = evaluate({ spec: job({ dp: DP, minSites: 2 }) });

    if (!result.accept) throw new Error(result.reason);
    const achieved = computeEpsilon({
      noiseMultiplier: result.noiseMultiplier,
      samplingRate: 1,
      steps: 10,
      delta: 1e-5,
    }).epsilon;
    expect(result.epsilonThisJob).toBe(1);
    expect(Math.abs(achieved - 1)).toBeLessThanOrEqual(0.01);
    // noise shared between min(sitesExpected 3, minSites 2) sites
    expect(result.dp).toEqual({ clipNorm: 0.5, noiseMultiplier: result.noiseMultiplier, noiseShares: 2 });
  });

  it('declines a model kind the policy does not allow', () => {
    const reason = declineReason({
      policy: policy({ allowedModels: ['logreg'] }),
      spec: job({ model: { kind: 'mlp', hidden: [8], activation: 'relu' } }),
    });

    expect(reason).toBe("model kind mlp is not allowed by this site's policy (allowed: logreg)");
  });

  it('declines a model above maxParameters: exact with inputDim, a lower bound without', () => {
    const mlp = job({ model: { kind: 'mlp', hidden: [64, 64], activation: 'relu' } });
    const strict = policy({ maxParameters: 5000 });

    // [10, 64, 64, 1]: 10*64+64 + 64*64+64 + 64+1 = 4929 fits; [20, ...]: 5569 does not;
    // without inputDim the bound is [1, 64, 64, 1]: 4353.
    const fits = evaluate({ policy: strict, spec: mlp, inputDim: 10 });
    const tooBig = declineReason({ policy: strict, spec: mlp, inputDim: 20 });
    const lowerBound = declineReason({ policy: policy({ maxParameters: 4000 }), spec: mlp });

    expect(fits.accept).toBe(true);
    expect(tooBig).toBe('model has 5,569 parameters but this site allows at most 5,000');
    expect(lowerBound).toBe('model has at least 4,353 parameters but this site allows at most 4,000');
  });

  it('declines more rounds than maxRounds', () => {
    expect(declineReason({ policy: policy({ maxRounds: 5 }) })).toBe(
      'job runs 10 rounds but this site allows at most 5',
    );
  });

  it('declines release to the researcher when the policy forbids it, and accepts a job without release', () => {
    const noRelease = policy({ allowRelease: false });

    expect(declineReason({ policy: noRelease })).toBe(
      "job releases the final model to the researcher, which this site's policy does not allow",
    );
    expect(evaluate({ policy: noRelease, spec: job({ release: { toResearcher: false } }) }).accept).toBe(
      true,
    );
  });

  it('declines a job without DP when DP is required', () => {
    expect(declineReason({ policy: policy({ requireDp: true }) })).toBe(
      'this site requires differential privacy: set dp.epsilon in the job',
    );
  });

  it('declines an epsilon beyond what is left of the budget, naming both', () => {
    const reason = declineReason({
      spec: job({ dp: { ...DP, epsilon: 3 } }),
      budget: ledger(5, [
        { jobHash: 'a', epsilon: 2.5 },
        { jobHash: 'b', epsilon: 1.3 },
      ]),
    });

    expect(reason).toBe('job asks epsilon 3 but this site has 1.2 of 5 left');
  });

  it('accepts an epsilon that exactly uses up the budget', () => {
    const result = evaluate({
      spec: job({ dp: { ...DP, epsilon: 2 } }),
      budget: ledger(5, [{ jobHash: 'a', epsilon: 3 }]),
    });

    expect(result.accept).toBe(true);
  });

  it('declines a delta above the policy delta', () => {
    expect(declineReason({ spec: job({ dp: { ...DP, delta: 1e-4 } }) })).toBe(
      'job runs at delta 0.0001 but this site allows at most 0.00001 per job',
    );
  });

  it('declines an epsilon whose noise multiplier is below the policy minimum', () => {
    // epsilon 8 over 10 rounds needs sigma ~ 2.02; epsilon 1 needs ~ 12.8.
    const strict = policy({ minNoiseMultiplier: 3, budget: { epsilon: 20, delta: 1e-5 } });

    const budget = ledger(20);

    const reason = declineReason({ policy: strict, budget, spec: job({ dp: { ...DP, epsilon: 8 } }) });
    const fine = evaluate({ policy: strict, budget, spec: job({ dp: DP }) });

    expect(reason).toMatch(
      /^job's epsilon 8 over 10 rounds needs noise multiplier 2\.0\d?, below this site's minimum of 3$/,
    );
    expect(fine.accept).toBe(true);
  });

  it('declines an epsilon too small for any noise', () => {
    const spec = job({ rounds: 10_000, dp: { ...DP, epsilon: 1e-9, delta: 1e-7 } });

    expect(declineReason({ spec })).toBe(
      "job's epsilon 1e-9 over 10000 rounds is too small to reach with any noise",
    );
  });

  it('waits for explicit approval, then accepts once the hash is approved', () => {
    const explicit = policy({ approval: 'explicit' });

    const waiting = declineReason({ policy: explicit });
    const approved = evaluate({ policy: explicit, approvals: new Set([HASH]) });

    expect(waiting).toBe(`waiting for explicit approval: run \`hefl site approve ${HASH}\` at this site`);
    expect(approved.accept).toBe(true);
  });

  it('lists every policy problem at once, and asks for approval only for a job inside the policy', () => {
    const result = evaluate({
      policy: policy({ approval: 'explicit', allowedModels: ['logreg'], maxRounds: 3, requireDp: true }),
      spec: job({ model: { kind: 'mlp', hidden: [4], activation: 'tanh' } }),
    });

    if (result.accept) throw new Error('expected a decline');
    expect(result.reasons).toHaveLength(3);
    expect(result.reason).toBe(result.reasons.join('; '));
    expect(result.reason).not.toContain('approval');
  });

  it('record-level DP is the default unit: DP-SGD accounted with q = batch / this site’s rows, steps = local steps x rounds', () => {
    const spec = job({ dp: RECORD_DP, local: { batchSize: 20, epochs: 2 } });

    const result = evaluate({ spec, trainRows: 200 });

    if (!result.accept) throw new Error(result.reason);
    expect(result.unit).toBe('record');
    expect(result.dp).toBeNull();
    const plan = result.dpSgd!;
    expect(plan.samplingRate).toBe(0.1);
    expect(plan.stepsPerRound).toBe(20); // 2 epochs x ceil(200 / 20)
    expect(plan.steps).toBe(200); // x 10 rounds
    const achieved = computeEpsilon({
      noiseMultiplier: plan.noiseMultiplier,
      samplingRate: 0.1,
      steps: 200,
      delta: 1e-5,
    }).epsilon;
    expect(achieved).toBeLessThanOrEqual(2);
    expect(achieved).toBeGreaterThan(2 * 0.99);
    expect(result.noiseMultiplier).toBe(plan.noiseMultiplier);
    expect(result.epsilonThisJob).toBe(2);
  });

  it('a smaller site chooses more noise for the same record-level epsilon', () => {
    const spec = job({ dp: RECORD_DP, local: { batchSize: 16, epochs: 1 } });

    const small = evaluate({ spec, trainRows: 60 });
    const large = evaluate({ spec, trainRows: 6000 });

    if (!small.accept || !large.accept) throw new Error('expected both to accept');
    expect(small.noiseMultiplier).toBeGreaterThan(large.noiseMultiplier);
  });

  it('declines a record-level job that would overrun the budget, with the reason', () => {
    const reason = declineReason({
      spec: job({ dp: { ...RECORD_DP, epsilon: 4 } }),
      trainRows: 300,
      budget: ledger(5, [{ jobHash: 'a', epsilon: 2 }]),
    });

    expect(reason).toBe('job asks epsilon 4 but this site has 3 of 5 left');
  });

  it('refuses a record-level job without the site’s row count (a caller mistake)', () => {
    expect(() => evaluate({ spec: job({ dp: RECORD_DP }) })).toThrow(/trainRows/);
  });

  it('refuses caller mistakes (inputDim, sitesExpected) with invalid_argument', () => {
    expect(() => evaluate({ inputDim: 0 })).toThrow(HeflError);
    expect(() => evaluate({ sitesExpected: 0 })).toThrow(HeflError);
    expect(() => evaluate({ sitesExpected: 1.5 })).toThrow(HeflError);
  });

  it('declines a glm job at a site with fewer records than its policy minRecords, without the count', () => {
    const strict = policy({ minRecords: 100 });
    const glm = job({ model: { kind: 'glm' } });

    const declined = declineReason({ policy: strict, spec: glm, siteRecords: 99 });
    const accepted = evaluate({ policy: strict, spec: glm, siteRecords: 100 });
    const training = evaluate({ policy: strict, spec: job(), siteRecords: 10 });

    expect(declined).toBe(
      "this site's policy requires at least 100 records for a glm job, and it holds fewer",
    );
    expect(declined).not.toMatch(/99/);
    expect(accepted.accept).toBe(true);
    expect(training.accept).toBe(true);
  });

  it('declines a glm job at a site whose policy leaves glm out of allowedModels', () => {
    const noGlm = policy({ allowedModels: ['logreg', 'mlp'] });
    expect(declineReason({ policy: noGlm, spec: job({ model: { kind: 'glm' } }) })).toBe(
      "model kind glm is not allowed by this site's policy (allowed: logreg, mlp)",
    );
  });
});
