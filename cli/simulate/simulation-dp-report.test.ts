import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulationDpReport } from './simulation-dp-report.js';

const SETTINGS = {
  unit: 'record',
  epsilon: 2,
  delta: 1e-5,
  clipNorm: 1,
  noiseMultiplier: 0,
  clipRange: 1,
} as const;

describe('simulationDpReport', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hefl-dp-report-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function siteDir(id: string, ledger: unknown, privacy?: Record<string, number>): string {
    const dir = join(root, id);
    mkdirSync(dir);
    if (ledger !== undefined) writeFileSync(join(dir, 'privacy-budget.json'), JSON.stringify(ledger));
    if (privacy) {
      const entry = { action: 'site.accepted', details: { jobHash: 'job-h', privacy } };
      writeFileSync(join(dir, 'audit.jsonl'), `${JSON.stringify(entry)}\n`);
    }
    return dir;
  }

  it("reads each site's ledger and its own accounting from its audit log", async () => {
    const a = siteDir(
      'site-a',
      { epsilonTotal: 10, delta: 1e-5, spent: [{ jobHash: 'job-h', epsilon: 2, unit: 'record' }] },
      { epsilon: 2, epsilonAccounted: 1.9, noiseMultiplier: 1.1, samplingRate: 0.1, steps: 30 },
    );
    const b = siteDir('site-b', undefined);
    const report = await simulationDpReport([a, b], 'job-h', SETTINGS);
    expect(report.spentBySite).toEqual({ 'site-a': 2, 'site-b': 0 });
    expect(report.epsilonSpent).toBe(2);
    expect(report.noiseMultiplier).toBe(1.1);
    expect(report.sites['site-a']).toEqual({
      epsilon: 2,
      epsilonAccounted: 1.9,
      noiseMultiplier: 1.1,
      samplingRate: 0.1,
      steps: 30,
    });
  });

  it('refuses a ledger the site itself would refuse, naming the file (the same zod schema)', async () => {
    const bad = siteDir('site-a', {
      epsilonTotal: 10,
      delta: 1e-5,
      spent: [{ jobHash: 'job-h', epsilon: -3 }],
    });
    await expect(simulationDpReport([bad], 'job-h', SETTINGS)).rejects.toThrow(
      /privacy budget .*site-a\/privacy-budget\.json is invalid: .*spent\.0\.epsilon/,
    );
  });
});
