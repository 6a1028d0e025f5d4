import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { normaliseJobHash } from '../../client-node/policy/approval-store.js';
import { parseJobBytes } from '../../common/job/job-spec.js';
import { runCli } from '../../test/support/run-cli.js';
import { readJobFile } from '../job/read-job-file.js';

describe('hefl job hash', () => {
  it('prints, offline, the hash the coordinator and the sites compute from the submitted job', async () => {
    const file = 'examples/jobs/heart-disease-short.yaml';
    const printed = (await runCli('job', 'hash', file)).trim();
    expect(printed).toMatch(/^[0-9a-f]{64}$/);
    // What `job submit` sends is the canonical spec; the coordinator and each site hash that.
    const sent = Buffer.from((await readJobFile(file)).canonical);
    expect(parseJobBytes(sent).hash).toBe(printed);
    expect(normaliseJobHash(printed)).toBe(printed);
  });

  it('the same job written as JSON has the same hash; a changed job has another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hefl-job-hash-'));
    const spec = parseYaml(readFileSync('examples/jobs/heart-disease-short.yaml', 'utf8')) as {
      rounds: number;
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...spec, rounds: spec.rounds + 1 }));
    const yamlHash = (await runCli('job', 'hash', 'examples/jobs/heart-disease-short.yaml')).trim();
    expect((await runCli('job', 'hash', join(dir, 'job.json'))).trim()).toBe(yamlHash);
    expect((await runCli('job', 'hash', join(dir, 'other.json'))).trim()).not.toBe(yamlHash);
  });
});
