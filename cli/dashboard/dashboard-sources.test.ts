import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findDashboardSources } from './dashboard-sources.js';

const touch = (path: string, text = '') => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

describe('findDashboardSources', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hefl-dash-src-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a `hefl simulate --out` folder: coordinator log and manifest, every site log, the researcher as anchor and job lister', () => {
    touch(join(dir, 'coordinator', 'audit.jsonl'));
    touch(join(dir, 'coordinator', 'manifest.json'));
    touch(join(dir, 'sites', 'hospital-a', 'audit.jsonl'));
    touch(join(dir, 'sites', 'hospital-b', 'audit.jsonl'));
    touch(join(dir, 'researcher', 'coordinator.json'));
    touch(join(dir, 'researcher', 'member.json'), JSON.stringify({ id: 'researcher', role: 'researcher' }));
    touch(join(dir, 'researcher', 'audit-heads.jsonl'));

    const sources = findDashboardSources(dir);

    expect(sources.log).toBe(join(dir, 'coordinator', 'audit.jsonl'));
    expect(sources.researcherDir).toBe(join(dir, 'researcher'));
    expect(sources.verify).toEqual({
      auditorDir: join(dir, 'researcher'),
      manifest: join(dir, 'coordinator', 'manifest.json'),
      siteLog: [
        join(dir, 'sites', 'hospital-a', 'audit.jsonl'),
        join(dir, 'sites', 'hospital-b', 'audit.jsonl'),
      ],
      researcherRecord: [join(dir, 'researcher')],
    });
  });

  it('an auditor folder anchors verification but lists no jobs; --log says where the log is', () => {
    touch(join(dir, 'coordinator.json'));
    touch(join(dir, 'member.json'), JSON.stringify({ id: 'audit-1', role: 'auditor' }));
    const log = join(dir, 'elsewhere.jsonl');

    const sources = findDashboardSources(dir, log);

    expect(sources.log).toBe(log);
    expect(sources.researcherDir).toBeUndefined();
    expect(sources.verify.auditorDir).toBe(dir);
  });
});
