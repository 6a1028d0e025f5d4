import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { countMappedPatients, loadMappedInput } from '../mapping/index.js';
import { openOmopPostgres, redactConnectionString } from './omop-postgres.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function omopFolder(files: Record<string, string>, mapping: unknown) {
  const root = mkdtempSync(join(tmpdir(), 'hefl-omop-'));
  dirs.push(root);
  const dir = join(root, 'cdm');
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(root, 'mapping.yaml'), stringify(mapping));
  return { dir, mapping: join(root, 'mapping.yaml') };
}

const PERSON =
  'person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth\n20,8532,1970,1,1\n3,8507,1950,,\n';
const MEASUREMENT_HEADER =
  'measurement_id,person_id,measurement_concept_id,measurement_date,measurement_datetime,value_as_number,value_as_concept_id,unit_concept_id\n';
const mapping = {
  source: 'omop',
  features: [
    { name: 'sex', resource: 'PERSON', value: 'gender_concept_id', map: { 8507: 1, 8532: 0 } },
    {
      name: 'chol',
      resource: 'measurement',
      codes: [3027114],
      unit: 8840,
      convert: { 8753: 38.67 },
      aggregate: 'last',
    },
  ],
  label: { name: 'cad', resource: 'condition_occurrence', codes: [317576], aggregate: 'any' },
};
const options = { label: 'cad', missing: 'impute-mean' as const };

describe('OMOP CDM input', () => {
  it('reads a CSV folder (any case, quoted fields over lines), rows in person_id order', async () => {
    const input = omopFolder(
      {
        'PERSON.csv': PERSON,
        'measurement.csv': `${MEASUREMENT_HEADER}1,20,3027114,2020-01-01,,200,,8840\n2,3,3027114,2020-01-01,,5,,8753\n3,3,3027114,2019-01-01,"2019-01-01 08:00:00",300,,8840\n4,3,9999,2020-01-01,,1,,\n`,
        'CONDITION_OCCURRENCE.tsv':
          'condition_occurrence_id\tperson_id\tcondition_concept_id\tcondition_start_date\tcondition_start_datetime\n1\t20\t317576\t2020-01-02\t\n',
      },
      mapping,
    );
    const { table } = await loadMappedInput('omop', input.dir, input.mapping, options);
    expect(Array.from(table.numeric.sex!)).toEqual([1, 0]); // person 3 first
    expect(Array.from(table.numeric.chol!)).toEqual([193.35, 200]); // latest: 5 mmol/L
    expect(Array.from(table.labels)).toEqual([0, 1]);
  });

  it('names file and line of a bad record, never its values', async () => {
    const input = omopFolder(
      {
        'person.csv': PERSON,
        'measurement.csv': `${MEASUREMENT_HEADER}1,20,3027114,2020-01-01,,200,,8840\n2,3,3027114,"2020-01-01\n,,oops-SECRET\n`,
        'condition_occurrence.csv': 'person_id,condition_concept_id,condition_start_date\n',
      },
      mapping,
    );
    await expect(loadMappedInput('omop', input.dir, input.mapping, options)).rejects.toThrow(
      /^measurement\.csv:3: unterminated quoted field$/,
    );
    const badDate = omopFolder(
      {
        'person.csv': PERSON,
        'measurement.csv': `${MEASUREMENT_HEADER}1,20,3027114,SECRET-DATE,,200,,8840\n`,
        'condition_occurrence.csv': 'person_id,condition_concept_id,condition_start_date\n',
      },
      mapping,
    );
    await expect(loadMappedInput('omop', badDate.dir, badDate.mapping, options)).rejects.toThrow(
      "measurement.csv:2: column 'measurement_date' is not a date",
    );
    const noTable = omopFolder({ 'person.csv': PERSON }, mapping);
    await expect(countMappedPatients('omop', noTable.dir, noTable.mapping)).rejects.toThrow(
      'cdm: no file for OMOP table MEASUREMENT (measurement.csv)',
    );
  });

  it('keeps the password out of the connection string it shows and out of errors', async () => {
    expect(
      redactConnectionString('postgres://hefl:s3cr%40t@db.example:5432/cdm?options=-c%20search_path%3Dx'),
    ).toBe('postgres://hefl:***@db.example:5432/cdm?options=-c%20search_path%3Dx');
    // Nothing listens on port 1: the connection fails; the message must not carry the password.
    const error = (await openOmopPostgres('postgres://hefl:hunter2-secret@127.0.0.1:1/cdm').catch(
      (e: Error) => e,
    )) as Error & {
      cause?: Error;
    };
    expect(error.message).toBe('cannot connect to the OMOP database postgres://hefl:***@127.0.0.1:1/cdm');
    expect(String(error.cause?.message)).not.toContain('hunter2');
  });
});
