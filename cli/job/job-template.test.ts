import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobJsonSchema } from '../../common/job/job-json-schema.js';
import { runCli } from '../../test/support/run-cli.js';
import { parseJobText } from './read-job-file.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/jobs');

describe('job file ergonomics', () => {
  it('hefl job init writes a commented job that is valid as written, for either model', async () => {
    const logreg = await runCli('job', 'init');
    const mlp = await runCli('job', 'init', '--model', 'mlp');

    expect(logreg).toContain('# hefl job file');
    expect(parseJobText(logreg, 'job.yaml').spec.model).toEqual({ kind: 'logreg' });
    expect(parseJobText(mlp, 'job.yaml').spec.model).toEqual({
      kind: 'mlp',
      hidden: [16, 8],
      activation: 'relu',
    });
  });

  it('every example under examples/jobs is a valid job', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files)
      expect(() => parseJobText(readFileSync(join(EXAMPLES, f), 'utf8'), f), f).not.toThrow();
  });

  it('examples/jobs/job.schema.json is the JSON Schema generated from the validator (regenerate: hefl job schema)', async () => {
    const committed = JSON.parse(readFileSync(join(EXAMPLES, 'job.schema.json'), 'utf8'));

    expect(committed).toEqual(jobJsonSchema());
    expect(JSON.parse(await runCli('job', 'schema'))).toEqual(committed);
  });
});
