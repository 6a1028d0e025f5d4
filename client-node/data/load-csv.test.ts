import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCsv } from './load-csv.js';

describe('loadCsv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-load-csv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and names it by its base name in errors', async () => {
    const path = join(dir, 'clinic.csv');
    await writeFile(path, 'age,num\n63,0\nabc,1\n');

    const ok = await loadCsv(path, { label: 'num', categorical: [], missingTokens: ['abc'] });
    const bad = loadCsv(path, { label: 'num', categorical: [] });

    expect(ok.table.rows).toBe(1);
    await expect(bad).rejects.toThrow("clinic.csv:3: column 'age': not a number");
  });

  it('reports an unreadable file as invalid_argument', async () => {
    await expect(loadCsv(join(dir, 'absent.csv'), { label: 'num' })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'cannot read absent.csv',
    });
  });
});
