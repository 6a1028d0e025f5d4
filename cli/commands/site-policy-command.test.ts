import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalStore } from '../../client-node/policy/approval-store.js';
import { BudgetStore } from '../../client-node/policy/budget-store.js';
import { defaultSitePolicy } from '../../client-node/policy/site-policy.js';
import { runCli, runCliError } from '../../test/support/run-cli.js';

const HASH = 'c3'.repeat(32);

const hefl = runCli;
const heflError = runCliError;

describe('hefl site policy / approve / budget', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-site-policy-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('init writes the commented defaults once; check reads them back normalised', async () => {
    const init = await hefl('site', 'policy', 'init', '--dir', dir);
    const again = await heflError('site', 'policy', 'init', '--dir', dir);
    const check = await hefl('site', 'policy', 'check', '--dir', dir);
    const json = JSON.parse(await hefl('site', 'policy', 'check', '--dir', dir, '--json'));

    expect(init).toContain('site-policy.yaml');
    expect(await readFile(join(dir, 'site-policy.yaml'), 'utf8')).toContain('# hefl site policy');
    expect(again.code).toBe('already_exists');
    expect(check).toContain(`policy ok: ${join(dir, 'site-policy.yaml')}`);
    expect(check).toContain('approval: auto');
    expect(json).toEqual({ path: join(dir, 'site-policy.yaml'), policy: defaultSitePolicy() });
  });

  it('check without a file says the site runs on the defaults', async () => {
    const out = await hefl('site', 'policy', 'check', '--dir', dir);

    expect(out).toContain('runs on the defaults');
    expect(out).toContain('allowedModels:');
  });

  it('check reports every problem of a bad policy at once as invalid_config', async () => {
    const path = join(dir, 'custom.json');
    await writeFile(
      path,
      JSON.stringify({ version: 1, allowedModels: ['cnn'], budget: { epsilon: -1, delta: 1 } }),
    );

    const error = await heflError('site', 'policy', 'check', '--dir', dir, '--policy', path);

    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain(path);
    expect(error.message).toContain('allowedModels.0');
    expect(error.message).toContain('budget.epsilon');
    expect(error.message).toContain('budget.delta');
  });

  it('approve records the hash (and notes that auto approval ignores it); a bad hash is refused', async () => {
    const out = await hefl('site', 'approve', HASH.toUpperCase(), '--dir', dir);
    const twice = await hefl('site', 'approve', HASH, '--dir', dir);
    const bad = await heflError('site', 'approve', 'not-a-hash', '--dir', dir);

    expect(out).toContain(`approved job ${HASH}`);
    expect(out).toContain('approval: auto');
    expect(twice).toContain('already approved');
    expect(await new ApprovalStore(dir).isApproved(HASH)).toBe(true);
    expect(bad.code).toBe('invalid_argument');
  });

  it('budget shows total, spending per job with its DP unit and what is left, as text and as one JSON document', async () => {
    await writeFile(join(dir, 'site-policy.yaml'), 'version: 1\nbudget:\n  epsilon: 4\n  delta: 1e-6\n');
    const store = await BudgetStore.open(dir, { epsilon: 4, delta: 1e-6 });
    await store.spend(HASH, 1.5, 'record');

    const text = await hefl('site', 'budget', '--dir', dir);
    const json = JSON.parse(await hefl('site', 'budget', '--dir', dir, '--json'));

    expect(text).toContain('epsilon 4 in total, delta 0.000001 per job');
    expect(text).toContain(`  ${HASH}  1.5  per patient record (DP-SGD)`);
    expect(text).toContain('remaining: 2.5');
    expect(json).toEqual({
      epsilonTotal: 4,
      delta: 1e-6,
      epsilonSpent: 1.5,
      epsilonRemaining: 2.5,
      spent: [{ jobHash: HASH, epsilon: 1.5, unit: 'record' }],
    });
  });
});
