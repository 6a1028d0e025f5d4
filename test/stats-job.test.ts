import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJobStatus, jobStatusView } from '../cli/job/format-job-status.js';
import { generateSyntheticHospitals } from '../client-node/data/synthetic-hospitals.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

const SITES = 3;

/** The records the harness writes (seed 7), read independently of hefl's CSV code. */
function pooledRecords(): Record<string, string>[] {
  return generateSyntheticHospitals({ sites: SITES, seed: 7 }).flatMap((site) => {
    const [header, ...lines] = site.csv.trim().split('\n');
    const columns = header!.split(',');
    return lines
      .map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i]!, cell.trim()])))
      .filter((row) => Object.values(row).every((cell) => !['', 'NA', '?'].includes(cell)));
  });
}

describe('a stats job over real gRPC and HE equals the pooled counts and means', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: SITES });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('every site seals the same tables; counts and means equal the pooled records; small cells stated as suppressed', async () => {
    const job = syntheticJob({
      model: {
        kind: 'stats',
        numeric: ['age', 'cholesterol'],
        categories: { sex: ['0', '1'], chest_pain: ['typical', 'atypical', 'non-anginal', 'asymptomatic'] },
        histograms: { age: [30, 40, 50, 60, 70, 80] },
        crossTabs: [['chest_pain', 'sex']],
        strata: 'sex',
      },
      rounds: 1,
      minSites: SITES,
      roundDeadlineSeconds: 30,
    });

    const { jobId } = await fed.researcher.submit(job);
    const status = await waitForJob(fed.researcher, jobId, 120_000);

    expect(status.state, status.reason).toBe('completed');
    const view = jobStatusView(
      status,
      fed.researcherKeys.sealingSecretKey,
      (pk) => fed.federation.memberBySigningKey(pk)?.role === 'site',
    );
    const stats = view.stats!;
    expect(stats.strata.map((s) => s.stratum)).toEqual(['all', 'sex=0', 'sex=1']);
    const pooled = pooledRecords();
    const all = stats.strata[0]!;
    expect(all.records).toEqual({ count: pooled.length, suppressedAt: 0 });
    expect(all.positives.count).toBe(pooled.filter((r) => Number(r.event) > 0).length);
    for (const column of ['age', 'cholesterol']) {
      const mean = pooled.reduce((a, r) => a + Number(r[column]), 0) / pooled.length;
      const got = all.numeric.find((n) => n.column === column)!;
      expect(got.n).toBe(pooled.length);
      expect(Math.abs(got.mean! - mean)).toBeLessThanOrEqual(1e-9 * mean);
    }
    const men = stats.strata[2]!;
    expect(men.records.count).toBe(pooled.filter((r) => r.sex === '1').length);
    // ages >= 80 are rare in the synthetic hospitals: some site holds 1..4 of them and suppresses them.
    const oldest = all.histograms[0]!.bins.at(-1)!;
    expect(oldest.suppressedAt).toBeGreaterThan(0);
    expect(formatJobStatus(view)).toMatch(/>=80 \d+ \*\d/);
  }, 150_000);
});
