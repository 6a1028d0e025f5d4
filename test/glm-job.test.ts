import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatGlmReport } from '../cli/job/format-glm-report.js';
import { jobStatusView } from '../cli/job/format-job-status.js';
import { openModelRelease } from '../cli/researcher/open-model-release.js';
import { generateSyntheticHospitals } from '../client-node/data/synthetic-hospitals.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { pooledIrls } from './support/pooled-irls.js';
import { syntheticJob } from './support/synthetic-job.js';

const FEATURES = ['age', 'sex', 'resting_bp', 'cholesterol', 'max_hr', 'bmi', 'smoker', 'diabetes'];

/** The same records the harness writes (seed 7), read independently of hefl's CSV code. */
function pooledRecords(sites: number): { x: number[][]; y: number[]; names: string[] } {
  const names = ['(Intercept)', ...[...FEATURES].sort()];
  const x: number[][] = [];
  const y: number[] = [];
  for (const site of generateSyntheticHospitals({ sites, seed: 7 })) {
    const [header, ...lines] = site.csv.trim().split('\n');
    const columns = header!.split(',');
    for (const line of lines) {
      const cells = line.split(',');
      const value = (name: string) => Number(cells[columns.indexOf(name)]);
      // The job's missing rule (drop-row) drops records with an empty or NA cell in a job column.
      if ([...FEATURES, 'event'].some((name) => ['', 'NA'].includes(cells[columns.indexOf(name)]!.trim())))
        continue;
      x.push([1, ...names.slice(1).map(value)]);
      y.push(value('event') > 0 ? 1 : 0);
    }
  }
  return { x, y, names };
}

describe('a GLM job over real gRPC and HE equals the pooled logistic regression', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 3 });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('converges, every site seals the same table, coefficients and SEs within 1e-6 of pooled', async () => {
    const job = syntheticJob({
      model: { kind: 'glm', family: 'binomial' },
      data: { label: 'event', categorical: [], features: FEATURES },
      rounds: 10,
      minSites: 3,
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
    const result = view.glm?.result;
    expect(view.glm?.error ?? null).toBeNull();
    expect(result?.converged).toBe(true);
    const pooled = pooledIrls(pooledRecords(3), 'binomial');
    const { names } = pooledRecords(3);
    expect(result!.n).toBe(pooledRecords(3).y.length);
    expect(result!.coefficients.map((c) => c.feature)).toEqual(names);
    result!.coefficients.forEach((c, j) => {
      expect(Math.abs(c.estimate - pooled.beta[j]!)).toBeLessThanOrEqual(1e-6 * Math.abs(pooled.beta[j]!));
      expect(Math.abs(c.standardError - pooled.se[j]!)).toBeLessThanOrEqual(1e-6 * pooled.se[j]!);
    });
    console.log(formatGlmReport(view.glm!).join('\n'));

    // The model card carries the same table; the released weights are the coefficients.
    let reply = await fed.researcher.fetchModel(jobId);
    for (let i = 0; i < 100 && reply.pending.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      reply = await fed.researcher.fetchModel(jobId);
    }
    const released = openModelRelease(reply, fed.researcherKeys.sealingSecretKey, (pk) => {
      const m = fed.federation.memberBySigningKey(pk);
      return m?.role === 'site' ? m.id : undefined;
    });
    expect(released.card.glm).toEqual(result);
    expect(released.card.metrics).toBeNull();
    const coefficients = new Float32Array(
      released.weights.buffer,
      released.weights.byteOffset,
      released.weights.byteLength / 4,
    );
    expect(Array.from(coefficients)).toEqual(result!.coefficients.map((c) => Math.fround(c.estimate)));
  }, 150_000);
});
