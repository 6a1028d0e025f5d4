import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCsv } from '../../client-node/data/index.js';
import { runsIf } from '../../test/support/runs-if.js';
import { FLAMBY_HEART_CATEGORICAL, FLAMBY_HEART_LABEL, prepareFlambyCsvs } from './prepare-flamby-csv.js';

const REAL_DATA =
  process.env.HEFL_HEART_DATA ??
  fileURLToPath(new URL('../../../shared/datasets/heart-disease', import.meta.url));
const haveRealData = runsIf(
  existsSync(join(REAL_DATA, 'processed.cleveland.data')),
  `FLamby CSVs from real data: no processed.cleveland.data in ${REAL_DATA}`,
);

const LOADER_OPTIONS = { label: FLAMBY_HEART_LABEL, categorical: FLAMBY_HEART_CATEGORICAL };

async function writeSources(dir: string, cleveland: string): Promise<void> {
  const ok = '40,1,2,130,200,0,0,150,0,0,?,?,?,0\n';
  await writeFile(join(dir, 'processed.cleveland.data'), cleveland);
  await writeFile(join(dir, 'processed.hungarian.data'), ok);
  await writeFile(join(dir, 'processed.switzerland.data'), ok);
  await writeFile(join(dir, 'processed.va.data'), ok);
}

describe('prepareFlambyCsvs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hefl-flamby-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drops slope/ca/thal, then rows with a missing value, and names cp/restecg codes', async () => {
    await writeSources(
      dir,
      [
        '63.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,?,6.0,0',
        '67,1,4,?,286,0,2,108,1,1.5,2,3,3,2',
        '',
      ].join('\n'),
    );

    const result = await prepareFlambyCsvs(dir, join(dir, 'out'));
    const csv = await readFile(join(dir, 'out', 'cleveland.csv'), 'utf8');

    expect(result[0]).toMatchObject({ center: 'cleveland', rowsRead: 2, rowsWritten: 1 });
    expect(result.map((r) => r.center)).toEqual(['cleveland', 'hungary', 'switzerland', 'va']);
    expect(csv).toBe(
      'age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,num\n' +
        '63.0,1.0,typical-angina,145.0,233.0,1.0,lv-hypertrophy,150.0,0.0,2.3,0\n',
    );
  });

  it('names file, line and column for a malformed line or an unknown code', async () => {
    await writeSources(dir, '63,1,1,145,233,1,2,150,0,2.3,3,0,6,0\n63,1,9,145,233,1,2,150,0,2.3,3,0,6,0\n');
    await expect(prepareFlambyCsvs(dir, join(dir, 'out'))).rejects.toThrow(
      "processed.cleveland.data:2: column 'cp': unknown category code",
    );

    await writeSources(dir, '63,1,1,145\n');
    await expect(prepareFlambyCsvs(dir, join(dir, 'out'))).rejects.toThrow(
      'processed.cleveland.data:1: expected 14 fields, found 4',
    );
  });

  it('reports a missing source file as invalid_argument', async () => {
    await expect(prepareFlambyCsvs(dir, join(dir, 'out'))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe.runIf(haveRealData)('prepareFlambyCsvs on the UCI files', () => {
  it('keeps FLamby row counts 303, 261, 46, 130 and the loader reads them without dropping rows', async () => {
    const out = await mkdtemp(join(tmpdir(), 'hefl-flamby-real-'));
    try {
      const result = await prepareFlambyCsvs(REAL_DATA, out);
      const loaded = await Promise.all(result.map((r) => loadCsv(r.file, LOADER_OPTIONS)));

      expect(result.map((r) => r.rowsWritten)).toEqual([303, 261, 46, 130]);
      expect(loaded.map((l) => l.report.rowsDropped)).toEqual([0, 0, 0, 0]);
      expect(
        loaded[0]!.table.featureColumns.filter((c) => c.kind === 'categorical').map((c) => c.name),
      ).toEqual(['cp', 'restecg']);
      expect(loaded[0]!.table.labels.reduce((s, v) => s + v, 0)).toBe(139);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
