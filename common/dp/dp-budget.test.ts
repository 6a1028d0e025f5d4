import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import {
  canAfford,
  type DpBudget,
  parseDpBudget,
  recordSpend,
  remaining,
  spentEpsilon,
} from './dp-budget.js';

function budget(epsilonTotal = 3, spent: { jobHash: string; epsilon: number }[] = []): DpBudget {
  return parseDpBudget({ epsilonTotal, delta: 1e-5, spent });
}

describe('dp budget', () => {
  it('sums spending and reports what is left', () => {
    const ledger = budget(3, [
      { jobHash: 'a', epsilon: 1 },
      { jobHash: 'b', epsilon: 0.5 },
    ]);

    expect(spentEpsilon(ledger)).toBe(1.5);
    expect(remaining(ledger)).toBe(1.5);
    expect(canAfford(ledger, 1.5)).toBe(true);
    expect(canAfford(ledger, 1.6)).toBe(false);
    expect(canAfford(ledger, -1)).toBe(false);
  });

  it('tolerates float summation at the exact limit (0.1 + 0.2 of 0.3)', () => {
    const ledger = budget(0.3, [{ jobHash: 'a', epsilon: 0.1 }]);

    expect(canAfford(ledger, 0.2)).toBe(true);
  });

  it('records spending as a new frozen ledger, accumulating per job', () => {
    const start = budget(3);

    const afterRound1 = recordSpend(start, 'job1', 0.5);
    const afterRound2 = recordSpend(afterRound1, 'job1', 0.25);

    expect(start.spent).toHaveLength(0);
    expect(afterRound2.spent).toEqual([{ jobHash: 'job1', epsilon: 0.75 }]);
    expect(Object.isFrozen(afterRound2)).toBe(true);
    expect(Object.isFrozen(afterRound2.spent)).toBe(true);
  });

  it('refuses spending beyond the total with failed_precondition', () => {
    const ledger = budget(1, [{ jobHash: 'a', epsilon: 0.9 }]);

    expect(() => recordSpend(ledger, 'b', 0.2)).toThrow(HeflError);
    try {
      recordSpend(ledger, 'b', 0.2);
    } catch (error) {
      expect(HeflError.is(error, 'failed_precondition')).toBe(true);
    }
  });

  it('reports every problem of a stored ledger at once', () => {
    let message = '';
    try {
      parseDpBudget({
        epsilonTotal: -1,
        delta: 2,
        spent: [
          { jobHash: 'a', epsilon: 1 },
          { jobHash: '', epsilon: -1 },
        ],
      });
    } catch (error) {
      expect(HeflError.is(error, 'invalid_data')).toBe(true);
      message = (error as Error).message;
    }

    expect(message).toContain('budget.epsilonTotal');
    expect(message).toContain('budget.delta');
    expect(message).toContain('budget.spent.1.jobHash');
    expect(message).toContain('budget.spent.1.epsilon');
    expect(() =>
      budget(3, [
        { jobHash: 'a', epsilon: 1 },
        { jobHash: 'a', epsilon: 1 },
      ]),
    ).toThrow(/duplicate job a/);
  });
});
