import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteTable } from '../client-node/data/index.js';
import { loadSiteDataset, type SiteDataSource, type SiteDataset } from '../client-node/site-dataset.js';
import { modelHash } from '../client-node/strategy/model-hash.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { heartCsv, heartRows } from './support/heart/heart-rows.js';
import { writeHeartFhirExport } from './support/heart/heart-to-fhir.js';
import { heartOmopTables, writeOmopCsvFolder } from './support/heart/heart-to-omop.js';
import { createOmopSchema, probePostgres } from './support/heart/omop-postgres-fixture.js';
import { finalModels, startTestFederation, waitForJob, waitForSites } from './support/local-federation.js';

const FHIR_MAPPING = resolve(import.meta.dirname, '../examples/mappings/heart-fhir.yaml');
const OMOP_MAPPING = resolve(import.meta.dirname, '../examples/mappings/heart-omop.yaml');
const HOSPITALS = ['cleveland', 'hungary', 'switzerland', 'va'];

const job = parseJobSpec({
  model: { kind: 'logreg' },
  data: { label: 'num', categorical: ['cp', 'restecg'] },
  rounds: 1,
  minSites: 4,
  local: { epochs: 1, batchSize: 16, learningRate: 0.1 },
  roundDeadlineSeconds: 60,
  recruitSeconds: 10,
});

type Input = 'csv' | 'fhir' | 'omop-csv' | 'omop-postgres';

/** Everything of a table but the name it is reported under. */
function contents(t: SiteTable) {
  return {
    columns: t.featureColumns,
    label: t.labelColumn,
    rows: t.rows,
    numeric: t.numeric,
    categorical: t.categorical,
    labels: t.labels,
  };
}
const dataset = (d: SiteDataset) => ({ train: contents(d.train), test: contents(d.test), report: d.report });

describe('CSV, FHIR R4 NDJSON and OMOP CDM (CSV folder, PostgreSQL) inputs of four hospitals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hefl-inputs-'));
  const sources = new Map<Input, SiteDataSource[]>();
  const drops: (() => Promise<void>)[] = [];
  let pgSkipReason: string | undefined;

  beforeAll(async () => {
    const csv: SiteDataSource[] = [];
    const fhir: SiteDataSource[] = [];
    const omop: SiteDataSource[] = [];
    const tables = HOSPITALS.map((name, h) => {
      const rows = heartRows(36 + 4 * h, h + 1);
      // Switzerland's lab reports cholesterol in mmol/L; the mapping converts it.
      const options = { cholesterolInMmol: name === 'switzerland' };
      writeFileSync(join(dir, `${name}.csv`), heartCsv(rows));
      writeHeartFhirExport(join(dir, 'fhir', name), rows, options);
      const omopTables = heartOmopTables(rows, options);
      writeOmopCsvFolder(join(dir, 'omop', name), omopTables);
      csv.push({ path: join(dir, `${name}.csv`) });
      fhir.push({ input: 'fhir', path: join(dir, 'fhir', name), mapping: FHIR_MAPPING });
      omop.push({ input: 'omop', path: join(dir, 'omop', name), mapping: OMOP_MAPPING });
      return omopTables;
    });
    sources.set('csv', csv).set('fhir', fhir).set('omop-csv', omop);
    const pg = await probePostgres();
    if (!pg.ok) {
      pgSkipReason = pg.reason;
      console.warn(`skipping the OMOP PostgreSQL input: ${pg.reason}`);
      return;
    }
    const databases = await Promise.all(tables.map((t) => createOmopSchema(t)));
    for (const d of databases) drops.push(d.drop);
    sources.set(
      'omop-postgres',
      databases.map((d) => ({ input: 'omop', path: d.url, mapping: OMOP_MAPPING })),
    );
  });
  afterAll(async () => {
    for (const drop of drops) await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('give identical feature tables, held-out splits and missing-value reports at every hospital', async (ctx) => {
    const inputs = [...sources.keys()];
    if (pgSkipReason) ctx.annotate(`OMOP PostgreSQL skipped: ${pgSkipReason}`);
    else expect(inputs).toContain('omop-postgres');
    for (let h = 0; h < HOSPITALS.length; h++) {
      const reference = dataset(await loadSiteDataset(sources.get('csv')![h]!, job.spec));
      expect(reference.report.rowsDropped).toBeGreaterThan(0); // missing cholesterol, dropped alike
      for (const input of inputs.filter((i) => i !== 'csv')) {
        const other = dataset(await loadSiteDataset(sources.get(input)![h]!, job.spec));
        expect(other, `${HOSPITALS[h]} via ${input}`).toEqual(reference);
      }
    }
  }, 60_000);

  it('train to the same final model hash under HE', async () => {
    const current: SiteDataSource[] = HOSPITALS.map(() => ({ path: '' }));
    const fed = await startTestFederation({ sites: 4, dataSources: current });
    try {
      await waitForSites(fed);
      const hashes = new Map<Input, string>();
      for (const [input, list] of sources) {
        // The same four site nodes read the next input for the next job.
        for (const [h, source] of list.entries()) {
          Object.assign(current[h]!, { input: 'csv', mapping: undefined }, source);
        }
        const { jobId } = await fed.researcher.submit(job);
        const status = await waitForJob(fed.researcher, jobId, 60_000);
        expect(status.state, `${input}: ${status.reason}`).toBe('completed');
        const models = await finalModels(fed, jobId);
        const siteHashes = new Set(models.map(modelHash));
        expect(siteHashes.size).toBe(1);
        hashes.set(input, [...siteHashes][0]!);
      }
      console.log(Object.fromEntries(hashes));
      expect(new Set(hashes.values()).size).toBe(1);
      expect(hashes.size).toBe(pgSkipReason ? 3 : 4);
    } finally {
      await fed.stop();
    }
  }, 240_000);
});
