import { z } from 'zod';
import { HeflError } from '../errors/index.js';
import { zodProblems } from '../validation/zod-problems.js';

/**
 * A site's privacy ledger: the (epsilon, delta) its hospital allows in total and what each
 * approved job has spent. Jobs compose by basic sequential composition: epsilons add. Each
 * job runs at `delta`, so k jobs together guarantee (sum of epsilons, k x delta); the
 * policy's delta should be set with that in mind. Persisting the ledger is the caller's job;
 * these functions are pure and return new frozen values.
 */
export const dpBudgetSchema = z.strictObject({
  epsilonTotal: z.number().finite().positive(),
  delta: z.number().gt(0).lt(1),
  spent: z.array(
    z.strictObject({
      jobHash: z.string().min(1).max(256),
      epsilon: z.number().finite().min(0),
      /** What the job's epsilon protects; absent in ledgers written before units existed (site-level then). */
      unit: z.enum(['record', 'site']).optional(),
    }),
  ),
});

/**
 * What a DP epsilon protects: one patient record at a site (DP-SGD) or one site's whole
 * update per round (DP-FedAvg). Both kinds of job draw on the same total.
 */
export type DpUnit = 'record' | 'site';

export type DpBudget = Readonly<{
  epsilonTotal: number;
  delta: number;
  spent: readonly Readonly<{ jobHash: string; epsilon: number; unit?: DpUnit | undefined }>[];
}>;

/** Slack for float summation (0.1 + 0.2 > 0.3): far below any meaningful epsilon. */
const TOLERANCE = 1e-9;

/** Validates a stored ledger; throws `invalid_data` listing every problem as `path: message`. */
export function parseDpBudget(input: unknown): DpBudget {
  const result = dpBudgetSchema.safeParse(input);
  const problems = result.success ? [] : zodProblems(result.error, 'budget');
  if (result.success) {
    const seen = new Set<string>();
    result.data.spent.forEach((entry, i) => {
      if (seen.has(entry.jobHash)) problems.push(`budget.spent.${i}.jobHash: duplicate job ${entry.jobHash}`);
      seen.add(entry.jobHash);
    });
  }
  if (!result.success || problems.length > 0) {
    throw new HeflError('invalid_data', problems.join('; '), { cause: result.error });
  }
  return freeze(result.data);
}

function freeze(budget: DpBudget): DpBudget {
  return Object.freeze({
    epsilonTotal: budget.epsilonTotal,
    delta: budget.delta,
    spent: Object.freeze(budget.spent.map((entry) => Object.freeze({ ...entry }))),
  });
}

/** Total epsilon spent by all jobs so far. */
export function spentEpsilon(budget: DpBudget): number {
  let sum = 0;
  for (const entry of budget.spent) sum += entry.epsilon;
  return sum;
}

/** Epsilon still available (never negative). */
export function remaining(budget: DpBudget): number {
  return Math.max(0, budget.epsilonTotal - spentEpsilon(budget));
}

/** Whether spending `epsilon` more stays within the total. */
export function canAfford(budget: DpBudget, epsilon: number): boolean {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) return false;
  return spentEpsilon(budget) + epsilon <= budget.epsilonTotal + TOLERANCE;
}

/**
 * Records `epsilon` spent by job `jobHash` (added to that job's entry if it already spent,
 * e.g. round by round), with the job's DP unit. Throws `failed_precondition` if it does not fit the budget and
 * `invalid_argument` for a negative or non-finite epsilon; the input is never modified.
 */
export function recordSpend(budget: DpBudget, jobHash: string, epsilon: number, unit?: DpUnit): DpBudget {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new HeflError('invalid_argument', `epsilon to spend must be finite and >= 0, got ${epsilon}`);
  }
  if (jobHash.length === 0) throw new HeflError('invalid_argument', 'job hash is empty');
  if (!canAfford(budget, epsilon)) {
    throw new HeflError(
      'failed_precondition',
      `privacy budget exceeded: job ${jobHash} needs epsilon ${epsilon}, ${remaining(budget)} of ${budget.epsilonTotal} left`,
      { publicDetail: 'site privacy budget exhausted' },
    );
  }
  const existing = budget.spent.findIndex((entry) => entry.jobHash === jobHash);
  const spent =
    existing === -1
      ? [...budget.spent, { jobHash, epsilon, ...(unit ? { unit } : {}) }]
      : budget.spent.map((entry, i) =>
          i === existing ? { ...entry, epsilon: entry.epsilon + epsilon, ...(unit ? { unit } : {}) } : entry,
        );
  return freeze({ ...budget, spent });
}
