import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from '../experiments/harness/local-federation.js';
import { RecordingProxy } from './support/recording-proxy.js';

/** Distinctive values planted in site 0's records; none may ever leave the site. */
const CANARY_NUMBERS = {
  age: 61.987654,
  cholesterol: 287.123459,
  bmi: 33.456781,
  max_hr: 151.765432,
  resting_bp: 133.314159,
};
const CANARY_CATEGORY = 'zzcanarypain';

function plantCanaries(csv: string): { csv: string; rows: string[] } {
  const lines = csv.trimEnd().split('\n');
  const header = lines[0]!.split(',');
  const rows: string[] = [];
  for (let i = 1; i <= 12; i++) {
    const cells = lines[i]!.split(',');
    for (const [column, value] of Object.entries(CANARY_NUMBERS))
      cells[header.indexOf(column)] = String(value + i);
    cells[header.indexOf('chest_pain')] = CANARY_CATEGORY;
    lines[i] = cells.join(',');
    rows.push(lines[i]!);
  }
  return { csv: `${lines.join('\n')}\n`, rows };
}

function encodings(value: number): Buffer[] {
  const f32 = Buffer.alloc(4);
  f32.writeFloatLE(value);
  const f64 = Buffer.alloc(8);
  f64.writeDoubleLE(value);
  return [Buffer.from(String(value)), f32, f64];
}

describe('data never leaves a site', () => {
  const proxy = new RecordingProxy();
  let fed: TestFederation;
  let dir: string;
  let canaryRows: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hefl-canary-'));
    const sites = generateSyntheticHospitals({ sites: 3, seed: 5 });
    const files = sites.map((site, i) => {
      const path = join(dir, `site-${i}.csv`);
      const planted = i === 0 ? plantCanaries(site.csv) : { csv: site.csv, rows: [] };
      if (i === 0) canaryRows = planted.rows;
      writeFileSync(path, planted.csv);
      return path;
    });
    const proxyAddress = await proxy.start();
    fed = await startTestFederation({
      sites: 3,
      dataFiles: files,
      siteAddress: (i, address) => {
        if (i !== 0) return address;
        const [host, port] = address.split(':');
        proxy.target = { host: host!, port: Number(port) };
        return proxyAddress;
      },
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a whole encrypted job sends no record value, row or plaintext weight from the site', async () => {
    const job = parseJobSpec({
      model: { kind: 'logreg' },
      rounds: 2,
      minSites: 3,
      data: { label: 'event', categorical: ['chest_pain', 'ecg'] },
      recruitSeconds: 10,
      roundDeadlineSeconds: 30,
    });
    const { jobId } = await fed.researcher.submit(job);
    expect((await waitForJob(fed.researcher, jobId, 60_000)).state).toBe('completed');
    const [siteModel] = await finalModels(fed, jobId);
    const sent = proxy.bytesSent();

    // the capture is real: the site's signed hello and its ciphertext uploads went through
    expect(sent.length).toBeGreaterThan(20_000);
    expect(sent.includes(Buffer.from('site-a'))).toBe(true);

    const leaks: string[] = [];
    for (const row of canaryRows) if (sent.includes(Buffer.from(row))) leaks.push(`row ${row}`);
    if (sent.includes(Buffer.from(CANARY_CATEGORY))) leaks.push('category canary');
    for (const [column, base] of Object.entries(CANARY_NUMBERS)) {
      for (let i = 1; i <= 12; i++) {
        for (const bytes of encodings(base + i))
          if (sent.includes(bytes)) leaks.push(`${column} ${base + i} as ${bytes.length} bytes`);
      }
    }
    for (const weight of siteModel!) {
      if (weight === 0) continue;
      for (const bytes of encodings(weight).slice(1))
        if (sent.includes(bytes)) leaks.push(`model weight ${weight}`);
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
