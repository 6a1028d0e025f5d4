import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HeflError } from '../../common/errors/index.js';
import { resolveSitePolicy } from './resolve-site-policy.js';
import { defaultSitePolicy, loadSitePolicy, parseSitePolicy } from './site-policy.js';
import { sitePolicyTemplate } from './site-policy-template.js';

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(HeflError.is(error, 'invalid_config')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected an invalid_config error');
}

describe('site policy', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-policy-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fills documented defaults and returns a frozen, normalised value', () => {
    const policy = parseSitePolicy({
      version: 1,
      allowedModels: ['glm', 'stats', 'mlp', 'logreg', 'mlp'],
      maxRounds: 20,
    });

    expect(policy).toEqual({ ...defaultSitePolicy(), maxRounds: 20 });
    expect(policy.allowedModels).toEqual(['logreg', 'mlp', 'glm', 'stats']);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.budget)).toBe(true);
    expect(Object.isFrozen(policy.allowedModels)).toBe(true);
    expect('maxParameters' in policy).toBe(false);
  });

  it('reports every problem at once as path: message', () => {
    const message = problemsOf(() =>
      parseSitePolicy({
        version: 2,
        allowedModels: ['cnn'],
        maxParameters: 1.5,
        maxRounds: 0,
        requireDp: 'yes',
        minNoiseMultiplier: -1,
        budget: { epsilon: 0, delta: 0.5 },
        allowRelease: 1,
        approval: 'manual',
        requireDP: true,
      }),
    );

    for (const expected of [
      'version: must be 1',
      'allowedModels.0: must be one of logreg, mlp, glm, stats',
      'maxParameters: must be a whole number',
      'maxRounds: must be at least 1',
      'requireDp: ',
      'minNoiseMultiplier: must be > 0',
      'budget.epsilon: must be > 0',
      'budget.delta: must be at most 0.001',
      'allowRelease: ',
      'approval: must be auto or explicit',
      'requireDP',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('takes the minimum cell size of round-0 reports from the policy: default 5, a whole number 1..100', () => {
    expect(defaultSitePolicy().minCellSize).toBe(5);
    expect(parseSitePolicy({ version: 1, minCellSize: 11 }).minCellSize).toBe(11);
    expect(problemsOf(() => parseSitePolicy({ version: 1, minCellSize: 0 }))).toContain(
      'minCellSize: must be at least 1',
    );
    expect(problemsOf(() => parseSitePolicy({ version: 1, minCellSize: 2.5 }))).toContain(
      'minCellSize: must be a whole number',
    );
    expect(problemsOf(() => parseSitePolicy({ version: 1, minCellSize: 101 }))).toContain(
      'minCellSize: must be at most 100',
    );
  });

  it('refuses an empty model list and a non-object document', () => {
    expect(problemsOf(() => parseSitePolicy({ version: 1, allowedModels: [] }))).toContain(
      'allowedModels: list at least one model kind',
    );
    expect(problemsOf(() => parseSitePolicy(null))).toContain('(root): ');
  });

  it('the commented template `policy init` writes parses to exactly the defaults', () => {
    expect(parseSitePolicy(parseYaml(sitePolicyTemplate()))).toEqual(defaultSitePolicy());
  });

  it('loads YAML (1e-5 and 0.00001 alike) and JSON files', async () => {
    const yamlPath = join(dir, 'p.yaml');
    const jsonPath = join(dir, 'p.json');
    await writeFile(yamlPath, 'version: 1\nrequireDp: true\nbudget: { epsilon: 3, delta: 1e-6 }\n');
    await writeFile(jsonPath, JSON.stringify({ version: 1, approval: 'explicit' }));

    const fromYaml = await loadSitePolicy(yamlPath);
    const fromJson = await loadSitePolicy(jsonPath);

    expect(fromYaml.requireDp).toBe(true);
    expect(fromYaml.budget).toEqual({ epsilon: 3, delta: 1e-6 });
    expect(fromJson.approval).toBe('explicit');
  });

  it('names the file and line of a syntax error, and a missing file is not_found', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'version: 1\nbudget: [epsilon: 3\n');

    const error = await loadSitePolicy(path).catch((e: unknown) => e);
    const missing = await loadSitePolicy(join(dir, 'none.yaml')).catch((e: unknown) => e);

    expect(HeflError.is(error, 'invalid_config')).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/line \d+/);
    expect(HeflError.is(missing, 'not_found')).toBe(true);
  });

  it('resolves the site folder policy: none -> defaults, one -> it, both -> refused', async () => {
    const none = await resolveSitePolicy({ dir });
    await writeFile(join(dir, 'site-policy.yaml'), 'version: 1\nmaxRounds: 7\n');
    const one = await resolveSitePolicy({ dir });
    await writeFile(join(dir, 'site-policy.json'), '{"version": 1}');
    const both = await resolveSitePolicy({ dir }).catch((e: unknown) => e);
    const explicit = await resolveSitePolicy({ dir, policyPath: join(dir, 'site-policy.json') });

    expect(none).toEqual({ policy: defaultSitePolicy(), path: undefined });
    expect(one.policy.maxRounds).toBe(7);
    expect(one.path).toBe(join(dir, 'site-policy.yaml'));
    expect(HeflError.is(both, 'invalid_config')).toBe(true);
    expect(explicit.policy).toEqual(defaultSitePolicy());
  });
});
