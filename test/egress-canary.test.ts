import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import {
  finalModels,
  startTestFederation,
  type TestFederation,
  waitForJob,
  waitForSites,
} from './support/local-federation.js';
import { RecordingProxy } from './support/recording-proxy.js';
import { syntheticJob } from './support/synthetic-job.js';

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

/**
 * How a single value could appear on the wire: as text and as a float64. (A lone float32
 * is only 4 bytes: ciphertext, being uniformly random, matches some 4-byte pattern by
 * chance every few hundred runs, so float32 is searched as adjacent pairs instead.)
 */
function encodings(value: number): Buffer[] {
  const f64 = Buffer.alloc(8);
  f64.writeDoubleLE(value);
  return [Buffer.from(String(value)), f64];
}

/** Two values as adjacent float32s, as a leaked row-major array would hold them (8 bytes). */
function float32Pair(a: number, b: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeFloatLE(a, 0);
  bytes.writeFloatLE(b, 4);
  return bytes;
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
      siteAddress: proxy.routeSite(0, proxyAddress),
    });
    await waitForSites(fed);
  });
  afterAll(async () => {
    await fed?.stop();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a whole encrypted job sends no record value, row or plaintext weight from the site', async () => {
    const job = syntheticJob({
      rounds: 2,
      minSites: 3,
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
    // adjacent canary columns of one record (resting_bp, cholesterol, max_hr, bmi are consecutive)
    const adjacent = ['resting_bp', 'cholesterol', 'max_hr', 'bmi'] as const;
    for (let i = 1; i <= 12; i++) {
      for (let c = 0; c + 1 < adjacent.length; c++) {
        const a = CANARY_NUMBERS[adjacent[c]!] + i;
        const b = CANARY_NUMBERS[adjacent[c + 1]!] + i;
        if (sent.includes(float32Pair(a, b)))
          leaks.push(`${adjacent[c]},${adjacent[c + 1]} of row ${i} as float32`);
      }
    }
    const weights = siteModel!;
    for (let w = 0; w < weights.length; w++) {
      if (weights[w] !== 0 && sent.includes(encodings(weights[w]!)[1]!))
        leaks.push(`model weight ${w} as float64`);
      if (w + 1 < weights.length && sent.includes(float32Pair(weights[w]!, weights[w + 1]!))) {
        leaks.push(`model weights ${w},${w + 1} as float32`);
      }
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
