import { describe, expect, it } from 'vitest';
import { computeEpsilon } from '../../common/dp/rdp-accountant.js';
import { HeflError } from '../../common/errors/index.js';
import { recordDpPlan } from './record-dp-plan.js';

const BASE = { epsilon: 2, delta: 1e-5, clipNorm: 1, rounds: 5 };

describe('recordDpPlan', () => {
  it('accounts q = batch / rows and steps = epochs x ceil(rows / batch) x rounds, spending at most the job epsilon', () => {
    const plan = recordDpPlan({ ...BASE, rows: 250, local: { batchSize: 32, epochs: 2 } });

    expect(plan.samplingRate).toBeCloseTo(32 / 250, 12);
    expect(plan.stepsPerRound).toBe(16); // 2 x ceil(250 / 32)
    expect(plan.steps).toBe(80);
    const again = computeEpsilon({
      noiseMultiplier: plan.noiseMultiplier,
      samplingRate: plan.samplingRate,
      steps: 80,
      delta: 1e-5,
    }).epsilon;
    expect(plan.epsilon).toBe(again);
    expect(plan.epsilon).toBeLessThanOrEqual(2);
    expect(plan.epsilon).toBeGreaterThan(1.98);
  });

  it('uses local.steps when the job sets them, and q = 1 (no amplification) when the batch covers the site', () => {
    const steps = recordDpPlan({ ...BASE, rows: 1000, local: { batchSize: 50, steps: 7 } });
    const whole = recordDpPlan({ ...BASE, rows: 20, local: { batchSize: 64 } });

    expect(steps.stepsPerRound).toBe(7);
    expect(steps.steps).toBe(35);
    expect(whole.samplingRate).toBe(1);
    expect(whole.stepsPerRound).toBe(1);
  });

  it('refuses a site without rows and an unreachable epsilon with invalid_argument', () => {
    expect(() => recordDpPlan({ ...BASE, rows: 0, local: { batchSize: 8 } })).toThrow(HeflError);
    expect(() =>
      recordDpPlan({ ...BASE, epsilon: 1e-9, delta: 1e-7, rows: 10, local: { batchSize: 10, steps: 1000 } }),
    ).toThrow(/noise multiplier above/);
  });
});
