import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { parseJobText, readJobFile } from './read-job-file.js';

const VALID_YAML = `
name: heart
model:
  kind: mlp
  hidden: [8]
  activation: relu
rounds: 3
local: { epochs: 1, batchSize: 16, learningRate: 0.1, optimizer: sgd }
strategy: { name: fedavg }
minSites: 2
roundDeadlineSeconds: 60
data:
  label: event
  categorical: [chest_pain, ecg]
`;

function problemsOf(error: unknown): string[] {
  expect(HeflError.is(error, 'invalid_config')).toBe(true);
  return (error as HeflError).message
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('readJobFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-job-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML and JSON files to the same job and hash', async () => {
    const yamlFile = join(dir, 'job.yaml');
    await writeFile(yamlFile, VALID_YAML);
    const fromYaml = await readJobFile(yamlFile);
    const jsonFile = join(dir, 'job.json');
    await writeFile(jsonFile, JSON.stringify(fromYaml.spec));

    const fromJson = await readJobFile(jsonFile);

    expect(fromYaml.spec.rounds).toBe(3);
    expect(fromYaml.spec.data.categorical).toEqual(['chest_pain', 'ecg']);
    expect(fromJson.hash).toBe(fromYaml.hash);
  });

  it('reports every schema problem at once as path: message, naming the file', () => {
    const text = `
model: { kind: mlp, hidden: [0], activation: relu }
rounds: 0
local: { epochs: 1, steps: 10, optimizer: rmsprop }
minSites: 5
maxSites: 3
data: { categorical: [ecg] }
surprise: true
`;
    const error = caught(() => parseJobText(text, 'bad.yaml'));

    expect((error as HeflError).message).toMatch(/^invalid job file bad\.yaml:/);
    const problems = problemsOf(error);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^model\.hidden\.0: /),
        expect.stringMatching(/^rounds: /),
        expect.stringMatching(/^local\.optimizer: /),
        expect.stringMatching(/^data\.label: /),
        expect.stringMatching(/^\(root\): .*surprise/),
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(5);
  });

  it('reports every YAML syntax error with its line and column', () => {
    const text = 'rounds: 3\nmodel: {kind: logreg\nrounds: 4\n';

    const problems = problemsOf(caught(() => parseJobText(text, 'broken.yml')));

    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const p of problems) expect(p).toMatch(/^line \d+, column \d+: /);
    expect(problems.some((p) => /unique/i.test(p))).toBe(true);
  });

  it('reports invalid JSON in a .json file', () => {
    const problems = problemsOf(caught(() => parseJobText('{"rounds": 3,', 'job.json')));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(syntax\): not valid JSON/);
  });

  it('refuses an unreadable file as a usage error', async () => {
    const error = await readJobFile(join(dir, 'missing.yaml')).catch((e: unknown) => e);

    expect(HeflError.is(error, 'invalid_argument')).toBe(true);
    expect((error as HeflError).message).toContain('missing.yaml');
  });
});
