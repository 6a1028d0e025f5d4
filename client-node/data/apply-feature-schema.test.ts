import { describe, expect, it } from 'vitest';
import { featureDeclarationSchema } from '../../common/job/feature-schema.js';
import { applyFeatureSchema } from './apply-feature-schema.js';
import { parseCsv } from './parse-csv.js';

const TEXT = 'chol,cp,smoker,num\n200,1.0,yes,0\n5.2,2,no,1\n250,9,yes,0\n300,2,maybe,1\n';
const table = parseCsv(TEXT, 'site.csv', { label: 'num', categorical: ['cp', 'smoker'] }).table;
const declare = (value: unknown) => featureDeclarationSchema.parse(value);

describe('applyFeatureSchema', () => {
  it('drops rows by the drop-row rules and counts what it found', () => {
    const {
      table: out,
      findings,
      problems,
      rowsDropped,
    } = applyFeatureSchema(table, [
      declare({ name: 'chol', type: 'numeric', range: [80, 700], outOfRange: 'drop-row' }),
      declare({
        name: 'cp',
        type: 'categorical',
        vocabulary: { codes: [1, 2] },
        outOfVocabulary: 'drop-row',
      }),
    ]);

    expect(problems).toEqual([]);
    expect(rowsDropped).toBe(2);
    expect(out.lines).toEqual([2, 5]);
    expect(findings.map((f) => [f.name, f.outOfRange, f.outOfVocabulary])).toEqual([
      ['chol', 1, 0],
      ['cp', 0, 1],
    ]);
    expect(out.featureColumns.find((c) => c.name === 'cp')).toEqual({
      name: 'cp',
      kind: 'categorical',
      vocabulary: ['1', '2'],
      other: false,
    });
  });

  it('keeps unknown codes for an other bucket and turns binary codes into 0/1', () => {
    const { table: out, problems } = applyFeatureSchema(table, [
      declare({
        name: 'cp',
        type: 'categorical',
        vocabulary: { codes: ['1', '2'] },
        outOfVocabulary: 'other',
      }),
      declare({ name: 'smoker', type: 'binary', codes: ['no', 'yes'], outOfVocabulary: 'drop-row' }),
    ]);

    expect(problems).toEqual([]);
    expect(out.rows).toBe(3);
    expect([...out.numeric.smoker!]).toEqual([1, 0, 1]);
    expect(out.featureColumns.find((c) => c.name === 'smoker')?.kind).toBe('numeric');
    expect(out.categorical.cp).toEqual(['1', '2', '9']);
  });

  it('refuses by default, with a local message (counts) and a public reason (no counts, no values)', () => {
    const { problems } = applyFeatureSchema(table, [
      declare({ name: 'cp', type: 'categorical', vocabulary: { codes: [1, 2] } }),
    ]);

    expect(problems).toEqual([
      {
        feature: 'cp',
        message:
          "site.csv: column 'cp': 1 of 4 cells hold codes outside the declared vocabulary (rule: refuse)",
        publicReason: "feature 'cp': codes outside the declared vocabulary",
      },
    ]);
  });
});
