import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../common/errors/index.js';
import { runCli, runCliError } from '../../test/support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hefl-site-check-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A job declaring cholesterol in mg/dL, chest-pain codes 1..4 and a binary sex column. */
const JOB = file(
  'job.yaml',
  `model: { kind: logreg }
rounds: 2
data:
  label: num
  features:
    - { name: chol, type: numeric, unit: mg/dL, range: [80, 700] }
    - { name: cp, type: categorical, vocabulary: { system: local, codes: [1, 2, 3, 4] } }
    - { name: sex, type: binary }
`,
);

function rows(n: number, row: (i: number) => string): string {
  return `chol,cp,sex,num\n${Array.from({ length: n }, (_, i) => row(i)).join('\n')}\n`;
}
const good = (i: number) => `${200 + i},${(i % 4) + 1}.0,${i % 2},${i % 3 === 0 ? 1 : 0}`;

describe('hefl site check', () => {
  it('reports rows, missingness, ranges, codes and label balance, and passes fitting data', async () => {
    const data = file('good.csv', rows(20, good).replace('\n200,', '\n?,'));

    const out = await runCli('site', 'check', '--data', data, '--job', JOB);

    expect(out).toContain('good.csv: 20 rows read, 19 usable');
    expect(out).toContain("label 'num': 6 positive, 13 negative");
    expect(out).toContain('chol (declared numeric): 1 missing, range 201..219, 0 outside the declared range');
    expect(out).toContain(
      'cp (declared categorical): 0 missing, 4 distinct codes, 0 outside the declared vocabulary',
    );
    expect(out).toContain('ok: a job with this data section could run here');
  });

  it.each([
    ['a missing label', 'nolabel.csv', 'chol,cp,sex\n200,1,0\n', "nolabel.csv: no label column 'num'"],
    ['an empty file', 'empty.csv', 'chol,cp,sex,num\n', 'empty.csv: empty file: no data rows'],
    [
      'unknown codes',
      'codes.csv',
      rows(20, (i) => good(i).replace(/,\d\.0,/, i === 3 ? ',9,' : '$&')),
      "codes.csv: column 'cp': 1 of 20 cells hold codes outside the declared vocabulary (rule: refuse)",
    ],
    [
      'out-of-range values',
      'range.csv',
      rows(20, (i) => (i === 5 ? good(i).replace(/^\d+/, '987.65') : good(i))),
      "range.csv: column 'chol': 1 of 20 values outside the plausible range 80..700 mg/dL (rule: refuse)",
    ],
    [
      'a unit mismatch (mmol/L for mg/dL)',
      'unit.csv',
      rows(20, (i) => good(i).replace(/^\d+/, (5 + i / 10).toFixed(1))),
      "unit.csv: column 'chol': 20 of 20 values outside the plausible range 80..700 mg/dL; they fit it after x38.67 (cholesterol mmol/L -> mg/dL): is the column in another unit?",
    ],
  ])('exits 2 for %s, naming file and column, never a value', async (_case, name, text, message) => {
    const data = file(name, text);

    const error = await runCliError('site', 'check', '--data', data, '--job', JOB);

    expect(ERROR_CODES[error.code].exitCode).toBe(2);
    expect(error.message).toContain(message);
    expect(error.message).not.toMatch(/987|5\.\d|\b9\b/);
  });

  it('checks a headerless file read with --columns and only a label', async () => {
    const data = file('raw.data', '63.0,4.0,1\n41,2,0\n');

    const out = await runCli('site', 'check', '--data', data, '--columns', 'age,cp,num', '--label', 'num');

    expect(out).toContain('raw.data: 2 rows read, 2 usable (no job given)');
  });
});

describe('hefl site start preflight', () => {
  it('exits 2 before starting when the data file is missing, empty or lacks the label', async () => {
    const missing = await runCliError('site', 'start', '--dir', dir, '--data', join(dir, 'nope.csv'));
    const empty = await runCliError('site', 'start', '--dir', dir, '--data', file('e.csv', 'a,num\n'));
    const noLabel = await runCliError(
      'site',
      'start',
      '--dir',
      dir,
      '--data',
      file('l.csv', 'a,b\n1,2\n'),
      '--label',
      'num',
    );

    expect([missing, empty, noLabel].map((e) => ERROR_CODES[e.code].exitCode)).toEqual([2, 2, 2]);
    expect(missing.message).toBe('cannot read nope.csv');
    expect(empty.message).toBe('e.csv: empty file: no data rows');
    expect(noLabel.message).toBe("l.csv: no label column 'num' (see hefl site check)");
  });
});
