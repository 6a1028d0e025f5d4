import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { type CsvRecord, readCsvRecords } from './read-csv-records.js';

function read(text: string, delimiter = ','): CsvRecord[] {
  return [...readCsvRecords(text, 'site.csv', { delimiter, describeField: (i) => `field ${i + 1}` })];
}

function errorOf(run: () => unknown): HeflError {
  try {
    run();
  } catch (error) {
    if (error instanceof HeflError) return error;
    throw error;
  }
  throw new Error('expected a HeflError');
}

describe('readCsvRecords', () => {
  it('splits plain records and numbers lines from 1', () => {
    const records = read('a,b\n1,2\n3,4\n');

    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, fields: ['3', '4'] },
    ]);
  });

  it('handles quoted delimiters, doubled quotes, embedded newlines, CRLF and a BOM', () => {
    const records = read('\ufeffname,note\r\n"Smith, J","said ""hi""\nthen left"\r\nx,""\r\n');

    expect(records).toEqual([
      { line: 1, fields: ['name', 'note'] },
      { line: 2, fields: ['Smith, J', 'said "hi"\nthen left'] },
      { line: 4, fields: ['x', ''] },
    ]);
  });

  it('skips blank lines but keeps a lone quoted empty field', () => {
    const records = read('a\n\n1\n""\n');

    expect(records.map((r) => r.line)).toEqual([1, 3, 4]);
    expect(records[2]!.fields).toEqual(['']);
  });

  it('keeps empty trailing fields and supports another delimiter', () => {
    expect(read('1;;\n', ';')).toEqual([{ line: 1, fields: ['1', '', ''] }]);
  });

  it('reports an unterminated quote at the line where the field starts, without its text', () => {
    const error = errorOf(() => read('a,b\n1,"secret value\n2,3\n'));

    expect(error.code).toBe('invalid_data');
    expect(error.message).toBe('site.csv:2: field 2: unterminated quoted field');
  });

  it('refuses text after a closing quote and a quote inside an unquoted field', () => {
    expect(errorOf(() => read('"ab"c,1\n')).message).toBe(
      'site.csv:1: field 1: unexpected text after closing quote',
    );
    expect(errorOf(() => read('1,ab"c\n')).message).toBe(
      'site.csv:1: field 2: quote inside an unquoted field',
    );
  });

  it('refuses a quote or newline as delimiter', () => {
    expect(errorOf(() => read('a', '"')).code).toBe('invalid_config');
  });
});
