import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { remaining, spentEpsilon } from '../../common/dp/dp-budget.js';
import { HeflError } from '../../common/errors/index.js';
import { BudgetStore } from './budget-store.js';

const POLICY_BUDGET = { epsilon: 5, delta: 1e-5 };

describe('BudgetStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-budget-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens an empty ledger under the policy budget without creating a file', async () => {
    const store = await BudgetStore.open(dir, POLICY_BUDGET);

    expect(store.current()).toEqual({ epsilonTotal: 5, delta: 1e-5, spent: [] });
    expect(await readdir(dir)).toEqual([]);
  });

  it('adds up spending per job, persists it 0600 and reads it back after a restart', async () => {
    const store = await BudgetStore.open(dir, POLICY_BUDGET);

    await store.spend('job-a', 1);
    await store.spend('job-b', 0.5);
    const after = await store.spend('job-a', 0.25);
    const reopened = await BudgetStore.open(dir, POLICY_BUDGET);

    expect(after.spent).toEqual([
      { jobHash: 'job-a', epsilon: 1.25 },
      { jobHash: 'job-b', epsilon: 0.5 },
    ]);
    expect(spentEpsilon(reopened.current())).toBe(1.75);
    expect(remaining(reopened.current())).toBe(3.25);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([BudgetStore.FILE]); // no temporary files left behind
  });

  it('refuses a spend beyond the budget with failed_precondition and records nothing', async () => {
    const store = await BudgetStore.open(dir, POLICY_BUDGET);
    await store.spend('job-a', 4);
    const before = await readFile(store.path, 'utf8');

    const error = await store.spend('job-b', 1.5).catch((e: unknown) => e);

    expect(HeflError.is(error, 'failed_precondition')).toBe(true);
    expect(store.current().spent).toEqual([{ jobHash: 'job-a', epsilon: 4 }]);
    expect(await readFile(store.path, 'utf8')).toBe(before);
  });

  it('serialises concurrent spends: two jobs cannot both take the last epsilon', async () => {
    const store = await BudgetStore.open(dir, { epsilon: 1, delta: 1e-5 });

    const results = await Promise.allSettled([store.spend('job-a', 0.6), store.spend('job-b', 0.6)]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((await BudgetStore.open(dir, { epsilon: 1, delta: 1e-5 })).current().spent).toHaveLength(1);
  });

  it('takes the total from the policy and the spending from the file', async () => {
    await (await BudgetStore.open(dir, POLICY_BUDGET)).spend('job-a', 3);

    const lowered = await BudgetStore.open(dir, { epsilon: 2, delta: 1e-6 });

    expect(lowered.current().epsilonTotal).toBe(2);
    expect(lowered.current().delta).toBe(1e-6);
    expect(remaining(lowered.current())).toBe(0);
  });

  it('refuses a corrupt ledger instead of starting from zero', async () => {
    const path = join(dir, BudgetStore.FILE);
    await writeFile(
      path,
      JSON.stringify({ epsilonTotal: 5, delta: 1e-5, spent: [{ jobHash: 'a', epsilon: -1 }] }),
    );

    const invalid = await BudgetStore.open(dir, POLICY_BUDGET).catch((e: unknown) => e);
    await writeFile(path, '{ not json');
    const unreadable = await BudgetStore.open(dir, POLICY_BUDGET).catch((e: unknown) => e);

    expect(HeflError.is(invalid, 'invalid_data')).toBe(true);
    expect((invalid as Error).message).toContain('budget.spent.0.epsilon');
    expect(HeflError.is(unreadable)).toBe(true);
  });
});
