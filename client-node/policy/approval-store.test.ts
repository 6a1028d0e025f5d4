import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { ApprovalStore, normaliseJobHash } from './approval-store.js';

const HASH_A = 'a1'.repeat(32);
const HASH_B = 'b2'.repeat(32);
const fixedClock = { now: () => Date.UTC(2025, 0, 2, 3, 4, 5) };

describe('ApprovalStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-approvals-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('approves a job hash, persists who and when (0600), and a second store sees it', async () => {
    const store = new ApprovalStore(dir, fixedClock);

    const added = await store.approve(HASH_A.toUpperCase(), 'it-admin');
    const other = new ApprovalStore(dir);

    expect(added).toBe(true);
    expect(await other.isApproved(HASH_A)).toBe(true);
    expect(await other.isApproved(HASH_B)).toBe(false);
    expect(await other.list()).toEqual([
      { jobHash: HASH_A, approvedAt: '2025-01-02T03:04:05.000Z', approvedBy: 'it-admin' },
    ]);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it('keeps the first approval when a hash is approved twice, and adds others', async () => {
    const store = new ApprovalStore(dir, fixedClock);

    await store.approve(HASH_A, 'first');
    const again = await store.approve(HASH_A, 'second');
    await store.approve(HASH_B, 'second');

    expect(again).toBe(false);
    expect((await store.list()).map((a) => a.approvedBy)).toEqual(['first', 'second']);
    expect(await store.approved()).toEqual(new Set([HASH_A, HASH_B]));
  });

  it('has no approvals without a file, and refuses an invalid file', async () => {
    const store = new ApprovalStore(dir);
    const empty = await store.approved();
    await writeFile(store.path, JSON.stringify({ version: 1, approvals: [{ jobHash: 'xyz' }] }));

    const error = await store.approved().catch((e: unknown) => e);

    expect(empty.size).toBe(0);
    expect(HeflError.is(error, 'invalid_data')).toBe(true);
    expect((error as Error).message).toContain('approvals.0.jobHash');
  });

  it('refuses what is not a job hash', async () => {
    expect(() => normaliseJobHash('abc')).toThrow(HeflError);
    expect(normaliseJobHash(` ${HASH_A.toUpperCase()} `)).toBe(HASH_A);
    await expect(new ApprovalStore(dir).approve('g'.repeat(64), 'x')).rejects.toThrow(/not a job hash/);
  });

  it('records declines beside approvals; a job cannot be both', async () => {
    const store = new ApprovalStore(dir, fixedClock);

    const declined = await store.decline(HASH_A, 'it');
    const twice = await store.decline(HASH_A, 'it');
    await store.approve(HASH_B, 'it');
    const approveDeclined = await store.approve(HASH_A, 'it').catch((e: unknown) => e);
    const declineApproved = await store.decline(HASH_B, 'it').catch((e: unknown) => e);

    expect([declined, twice]).toEqual([true, false]);
    expect(await store.declined()).toEqual(new Set([HASH_A]));
    expect(await store.approved()).toEqual(new Set([HASH_B]));
    expect(HeflError.is(approveDeclined, 'failed_precondition')).toBe(true);
    expect(HeflError.is(declineApproved, 'failed_precondition')).toBe(true);
  });
});
