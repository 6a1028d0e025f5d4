import { describe, expect, it } from 'vitest';
import { runCrashChain } from './support/crash-chain.js';

/**
 * Issue 12 (crash acceptance), part 1 of 2: the coordinator daemon SIGKILLs itself right
 * after each of these audit entries is durable (nothing after it happened: no state write,
 * no reply, no task), in turn, during one job, and is restarted at once. Part 1 and part 2
 * together cover every step from submission to the last model release.
 */
const STEPS = ['job.submitted', 'job.accepted@site-a', 'key.ceremony', 'round.opened', 'update.accepted'];

describe('a coordinator SIGKILLed at every step, submission to the first accepted update', () => {
  it('ends with the same model as an undisturbed run, fetchable, and an audit log that verifies and matches the state', async () => {
    const reference = await runCrashChain([], 150_000);
    const crashed = await runCrashChain(STEPS, 300_000);

    expect(reference.state).toBe('completed');
    expect(reference.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(crashed.killed).toEqual(STEPS);
    expect(crashed.state).toBe('completed');
    expect(crashed.modelHash).toBe(reference.modelHash);
    expect(crashed.auditFault).toBeUndefined();
    expect(crashed.stateProblems).toEqual([]);
    expect(crashed.refusals).toEqual([]);
  }, 300_000);
});
