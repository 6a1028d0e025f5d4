import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import type { CsvTableOptions } from './csv-table.js';
import { parseCsv } from './parse-csv.js';

const HEART = [
  'age,sex,cp,chol,num',
  '63,1,typical,233,0',
  '67,1,asymptomatic,?,2',
  '41,0,atypical,204,1',
  '',
].join('\n');

function errorOf(run: () => unknown): HeflError {
  try {
    run();
  } catch (error) {
    if (error instanceof HeflError) return error;
    throw error;
  }
  throw new Error('expected a HeflError');
}

function parse(text: string, options: Partial<CsvTableOptions> = {}) {
  return parseCsv(text, 'site.csv', { label: 'num', ...options });
}

describe('parseCsv', () => {
  it('infers kinds, drops rows with missing values and reports the rule', () => {
    const { table, report } = parse(HEART);

    expect(table.featureColumns).toEqual([
      { name: 'age', kind: 'numeric' },
      { name: 'sex', kind: 'numeric' },
      { name: 'cp', kind: 'categorical' },
      { name: 'chol', kind: 'numeric' },
    ]);
    expect(table.rows).toBe(2);
    expect([...table.numeric.age!]).toEqual([63, 41]);
    expect(table.categorical.cp).toEqual(['typical', 'atypical']);
    expect([...table.labels]).toEqual([0, 1]);
    expect(report).toEqual({
      rowsRead: 3,
      rowsKept: 2,
      rowsDropped: 1,
      missingByColumn: { age: 0, sex: 0, cp: 0, chol: 1 },
      rule: 'drop-row',
    });
  });

  it('imputes the local mean for numeric and the mode for categorical cells', () => {
    const text = 'x,c,y\n1,a,0\nNA,b,1\n5,a,1\n3,,0\n';

    const { table, report } = parse(text, { label: 'y', missing: 'impute-mean' });

    expect([...table.numeric.x!]).toEqual([1, 3, 5, 3]);
    expect(table.categorical.c).toEqual(['a', 'b', 'a', 'a']);
    expect(report.rowsDropped).toBe(0);
    expect(report.missingByColumn).toEqual({ x: 1, c: 1 });
  });

  it('reads a headerless file with a column list and honours drop and categorical', () => {
    const text = '63.0,1.0,1.0,6.0,0\n67.0,1.0,4.0,?,2\n';

    const { table } = parse(text, {
      columns: ['age', 'sex', 'cp', 'thal', 'num'],
      drop: ['thal'],
      categorical: ['cp'],
    });

    expect(table.rows).toBe(2);
    expect(table.featureColumns.map((c) => `${c.name}:${c.kind}`)).toEqual([
      'age:numeric',
      'sex:numeric',
      'cp:categorical',
    ]);
    // Category codes are normalised: Cleveland's `4.0` is the code `4`, as Hungary writes it.
    expect(table.categorical.cp).toEqual(['1', '4']);
    expect([...table.labels]).toEqual([0, 1]);
  });

  it('maps labels with the binary rule or a custom function', () => {
    const text = 'x,y\n1,yes\n2,no\n';

    expect([...parse(text, { label: 'y', positive: (raw) => raw === 'yes' }).table.labels]).toEqual([1, 0]);
    expect(errorOf(() => parse('x,y\n1,0\n2,2\n', { label: 'y', labelRule: 'binary' })).message).toBe(
      "site.csv:3: column 'y': label is not 0 or 1",
    );
  });

  it('names file, line and column for a non-number in an explicitly numeric column, without the cell', () => {
    const text = 'age,cp,num\n63,typical,0\n6x3secret,typical,1\n';

    const error = errorOf(() => parse(text, { categorical: ['cp'] }));

    expect(error.code).toBe('invalid_data');
    expect(error.message).toBe("site.csv:3: column 'age': not a number");
    expect(error.message).not.toContain('secret');
  });

  it('counts lines through quoted newlines when naming a bad line', () => {
    const text = 'note,num\n"two\nlines",0\nok,1,extra\n';

    expect(errorOf(() => parse(text)).message).toBe('site.csv:4: expected 2 fields, found 3');
  });

  it('refuses a missing or non-numeric label under any rule', () => {
    expect(errorOf(() => parse('age,num\n63,?\n', { missing: 'impute-mean' })).message).toBe(
      "site.csv:2: column 'num': label missing",
    );
    expect(errorOf(() => parse('age,num\n63,sick\n')).message).toBe(
      "site.csv:2: column 'num': label is not a number",
    );
  });

  it('reports every option problem at once as invalid_config', () => {
    const error = errorOf(() =>
      parse('age,num\n1,0\n', { label: 'event', drop: ['bmi'], categorical: ['cp'] }),
    );

    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain("label: no column named 'event'");
    expect(error.message).toContain("drop: no column named 'bmi'");
    expect(error.message).toContain("categorical: no column named 'cp'");
  });

  it('refuses duplicate header names and files without usable rows', () => {
    expect(errorOf(() => parse('age,age,num\n1,2,0\n')).message).toBe(
      "site.csv:1: duplicate column name 'age'",
    );
    expect(errorOf(() => parse('age,num\n?,0\n')).message).toBe(
      "site.csv: no rows left after the 'drop-row' rule (1 read)",
    );
    expect(errorOf(() => parse('')).message).toBe('site.csv: empty file, expected a header row');
  });

  it('normalises category codes by the stated rule: numbers as numbers, whitespace, case', () => {
    const text = 'cp,ecg,num\n4.0, Normal ,0\n04,normal,1\n4,NORMAL  X,0\n';

    const kept = parse(text, { categorical: ['cp', 'ecg'] }).table;
    const folded = parse(text, {
      categorical: ['cp', 'ecg'],
      normalise: { numericCodes: true, whitespace: 'collapse', case: 'lower' },
    }).table;
    const raw = parse(text, {
      categorical: ['cp', 'ecg'],
      normalise: { numericCodes: false, whitespace: 'trim', case: 'keep' },
    }).table;

    expect(kept.categorical.cp).toEqual(['4', '4', '4']);
    expect(kept.categorical.ecg).toEqual(['Normal', 'normal', 'NORMAL  X']);
    expect(folded.categorical.ecg).toEqual(['normal', 'normal', 'normal x']);
    expect(raw.categorical.cp).toEqual(['4.0', '04', '4']);
  });

  it('accepts custom missing tokens', () => {
    const { report } = parse('age,num\n-1,0\n50,1\n', { missingTokens: ['-1'] });

    expect(report.rowsKept).toBe(1);
    expect(report.missingByColumn).toEqual({ age: 1 });
  });
});
