import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJobStatus, jobStatusView } from '../cli/job/format-job-status.js';
import {
  categoryBucket,
  generateSyntheticHospitals,
  loadRawCsv,
  siteTableForJob,
} from '../client-node/data/index.js';
import { parseSitePolicy } from '../client-node/policy/site-policy.js';
import { defaultPolicyContext } from '../client-node/policy/site-policy-context.js';
import { loadSiteDataset } from '../client-node/site-dataset.js';
import { CATEGORY_BUCKETS } from '../common/fl/round-section-shapes.js';
import { featureSalt, type ParsedJob } from '../common/job/job-spec.js';
import {
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { syntheticJob } from './support/synthetic-job.js';

/** Site b codes chest pain and ECG its own way (numbers), and writes 3 ECGs as `unknown`. */
const OTHER_CODES: Record<string, string> = {
  typical: '1',
  atypical: '2',
  'non-anginal': '3',
  asymptomatic: '4',
  normal: '0',
  'st-t-abnormality': '1',
  'lv-hypertrophy': '2',
};

function recode(csv: string): string {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header!.split(',');
  const cp = columns.indexOf('chest_pain');
  const ecg = columns.indexOf('ecg');
  const out = rows.map((row, i) => {
    const cells = row.split(',');
    cells[cp] = OTHER_CODES[cells[cp]!] ?? cells[cp]!;
    cells[ecg] = i < 3 ? 'unknown' : (OTHER_CODES[cells[ecg]!] ?? cells[ecg]!);
    return cells.join(',');
  });
  return `${[header, ...out].join('\n')}\n`;
}

describe('round 0 shows the researcher the codes the sites use, when one site uses other codes', () => {
  let fed: TestFederation;
  let dataDir: string;
  let files: string[];
  const siteIdOf = (pk: Uint8Array) => fed.federation.memberBySigningKey(pk)?.role === 'site';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hefl-codes-'));
    const hospitals = generateSyntheticHospitals({ sites: 2, seed: 7 });
    files = hospitals.map((h, i) => {
      const path = join(dataDir, `site-${i}.csv`);
      writeFileSync(path, i === 1 ? recode(h.csv) : h.csv);
      return path;
    });
    // Site a keeps the default minimum cell size (5), site b asks for 8: the report uses 8.
    fed = await startTestFederation({
      sites: 2,
      dataFiles: files,
      policyFor: (i) =>
        i === 1
          ? { ...defaultPolicyContext(), policy: parseSitePolicy({ version: 1, minCellSize: 8 }) }
          : undefined,
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Each code's total and number of sites over both sites' usable rows, computed here in the clear (test only). */
  async function expectedCodes(job: ParsedJob, column: string) {
    const totals = new Map<string, { count: number; sites: number }>();
    for (const path of files) {
      const dataset = await loadSiteDataset({ path }, job.spec);
      const values = [...dataset.train.categorical[column]!, ...dataset.test.categorical[column]!];
      for (const code of new Set(values)) {
        const t = totals.get(code) ?? { count: 0, sites: 0 };
        totals.set(code, { count: t.count + values.filter((v) => v === code).length, sites: t.sites + 1 });
      }
    }
    // Codes that share a hashed input with another code cannot be named (they share a model input too).
    const slot = (code: string) => categoryBucket(column, code, featureSalt(job.spec), CATEGORY_BUCKETS);
    const alone = [...totals.keys()].filter((c) =>
      [...totals.keys()].every((o) => o === c || slot(o) !== slot(c)),
    );
    return { totals, alone };
  }

  async function statusOf(job: ParsedJob) {
    const { jobId } = await fed.researcher.submit(job);
    expect((await waitForJob(fed.researcher, jobId, 90_000)).state).toBe('completed');
    const view = jobStatusView(
      await fed.researcher.status(jobId),
      fed.researcherKeys.sealingSecretKey,
      siteIdOf,
    );
    return { view, text: formatJobStatus(view) };
  }

  it('a short job (label and categorical only): each code with its total, sites per code, suppression and the disjoint-codes warning', async () => {
    const job = syntheticJob({ rounds: 1, minSites: 2, roundDeadlineSeconds: 30 });

    const { view, text } = await statusOf(job);

    expect(view.data?.minCellSize).toBe(8);
    expect(view.data?.sites).toBe(2);
    for (const column of ['chest_pain', 'ecg']) {
      const { totals, alone } = await expectedCodes(job, column);
      const found = view.data!.vocabulary!.find((v) => v.name === column)!;
      const shown = alone.filter((c) => totals.get(c)!.count >= 8);
      expect(found.codes.map((c) => c.code).sort()).toEqual([...shown].sort());
      for (const c of found.codes) expect(c).toEqual({ code: c.code, ...totals.get(c.code)! });
      expect(found.suppressed).toBe(alone.length - shown.length);
      expect(found.unresolved).toBe(
        new Set(
          [...totals.keys()]
            .filter((c) => !alone.includes(c))
            .map((c) => categoryBucket(column, c, featureSalt(job.spec), CATEGORY_BUCKETS)),
        ).size,
      );
      expect(found.rows).toBe([...totals.values()].reduce((n, t) => n + t.count, 0));
      expect(found.disjoint).toBe(true);
      expect(text).toContain(
        `  ${column} (categorical, codes found): ${found.rows} rows; codes: ${found.codes.map((c) => `${c.code} ${c.count} (1 of 2 sites)`).join(', ')}`,
      );
      expect(text).toContain(
        `warning: no code is found at every site: do the sites code '${column}' the same way?`,
      );
    }
    // 'unknown' (3 rows at one site) is below the minimum: neither named nor counted on its own.
    expect(view.data!.vocabulary!.find((v) => v.name === 'ecg')!.suppressed).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('unknown');
    expect(text).toContain('data found by the sites (totals over all sites; codes below 8 suppressed):');
  }, 150_000);

  it('a declared-feature job: values outside the declared codes and range, and the codes found in its hashed column', async () => {
    const job = syntheticJob({
      rounds: 1,
      minSites: 2,
      roundDeadlineSeconds: 30,
      data: {
        label: 'event',
        categorical: ['ecg'],
        features: [
          'age',
          { name: 'cholesterol', type: 'numeric', unit: 'mg/dL', range: [80, 250], outOfRange: 'keep' },
          {
            name: 'chest_pain',
            type: 'categorical',
            vocabulary: { system: 'local', codes: ['typical', 'atypical', 'non-anginal', 'asymptomatic'] },
            outOfVocabulary: 'other',
          },
          'ecg',
        ],
      },
    });

    const { view, text } = await statusOf(job);

    const pain = view.data!.features.find((f) => f.name === 'chest_pain')!;
    const chol = view.data!.features.find((f) => f.name === 'cholesterol')!;
    // Expected: each site's own findings, added up here in the clear (test only).
    const findings = await Promise.all(
      files.map(async (f) => siteTableForJob(await loadRawCsv(f), job.spec.data).findings),
    );
    const [painA, painB] = findings.map((site) => site.find((f) => f.name === 'chest_pain')!);
    // Every chest-pain value of site b is outside the declared codes, none of site a's.
    expect(painB!.outOfVocabulary).toBe(painB!.rows);
    expect(pain.outside).toBe(painA!.outOfVocabulary + painB!.outOfVocabulary);
    expect(pain.outside).toBe(painB!.rows);
    expect(pain.codes!.map((c) => c.count)).toEqual(
      painA!.codeCounts.map((n, i) => n + painB!.codeCounts[i]!),
    );
    expect(chol.outside).toBe(
      findings.reduce((n, site) => n + site.find((f) => f.name === 'cholesterol')!.outOfRange, 0),
    );
    expect(chol.outside).toBeGreaterThan(0);
    expect(text).toContain(
      `  cholesterol (numeric): ${chol.outside} of ${chol.rows} outside the declared range`,
    );
    expect(text).toContain(
      `  chest_pain (categorical): ${pain.outside} of ${pain.rows} outside the declared codes`,
    );
    const ecg = view.data!.vocabulary!.find((v) => v.name === 'ecg')!;
    expect(view.data!.vocabulary!.map((v) => v.name)).toEqual(['ecg']);
    expect(ecg.disjoint).toBe(true);
    expect(text).toContain("warning: no code is found at every site: do the sites code 'ecg' the same way?");
  }, 150_000);
});
