import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { countMappedPatients, loadMappedInput } from '../mapping/index.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A Bulk Data export folder with the given NDJSON files and a mapping file next to it. */
function exportWith(files: Record<string, unknown[] | string>, mapping: unknown) {
  const root = mkdtempSync(join(tmpdir(), 'hefl-fhir-'));
  dirs.push(root);
  const dir = join(root, 'export');
  mkdirSync(dir);
  for (const [name, lines] of Object.entries(files)) {
    writeFileSync(
      join(dir, name),
      typeof lines === 'string' ? lines : `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
    );
  }
  writeFileSync(join(root, 'mapping.yaml'), stringify(mapping));
  return { dir, mapping: join(root, 'mapping.yaml') };
}

const patient = (id: string, birthDate = '1960-06-15', gender = 'female') => ({
  resourceType: 'Patient',
  id,
  birthDate,
  gender,
});
const visit = (id: string, subject: string, start: string) => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { code: 'AMB' },
  subject: { reference: `Patient/${subject}` },
  period: { start },
});
const glucose = (subject: string, date: string, value: number, unit = 'mg/dL') => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '2345-7' }] },
  subject: { reference: `Patient/${subject}` },
  effectiveDateTime: date,
  valueQuantity: { value, code: unit },
});
const label = { name: 'sick', resource: 'Condition', codes: [`${SNOMED}|53741008`], aggregate: 'any' };
const options = { label: 'sick', missing: 'impute-mean' as const };

describe('readFhirExport through a mapping', () => {
  it('applies the window around the index event, the aggregates, unit conversion and medications', async () => {
    const input = exportWith(
      {
        'Patient.ndjson': [
          patient('a', '1960-06-15', 'female'),
          patient('b', '1950-01-01', 'male'),
          patient('c'),
        ],
        'Encounter.ndjson': [
          visit('e1', 'a', '2020-03-01T10:00:00Z'),
          visit('e0', 'a', '2019-03-01T10:00:00Z'),
          visit('e2', 'b', '2020-05-10'),
        ],
        'Observation.ndjson': [
          glucose('a', '2020-02-20', 100),
          glucose('a', '2020-02-25', 5.5, 'mmol/L'), // 99.1 mg/dL
          glucose('a', '2019-03-02', 400), // a year before: outside the window
          glucose('b', '2020-05-09', 150),
          {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: LOINC, code: '85354-9' }] },
            subject: { reference: 'Patient/b' },
            effectiveDateTime: '2020-05-10',
            component: [
              {
                code: { coding: [{ system: LOINC, code: '8462-4' }] },
                valueQuantity: { value: 80, code: 'mm[Hg]' },
              },
              {
                code: { coding: [{ system: LOINC, code: '8480-6' }] },
                valueQuantity: { value: 141, code: 'mm[Hg]' },
              },
            ],
          },
        ],
        'MedicationRequest.ndjson': [
          {
            resourceType: 'MedicationRequest',
            status: 'active',
            intent: 'order',
            subject: { reference: 'Patient/a' },
            medicationCodeableConcept: { coding: [{ system: SNOMED, code: '372912004' }] },
            authoredOn: '2020-01-15',
          },
        ],
        'Condition.ndjson': [
          {
            resourceType: 'Condition',
            subject: { reference: 'Patient/b' },
            code: { coding: [{ system: SNOMED, code: '53741008' }] },
            onsetDateTime: '2020-05-11',
          },
        ],
      },
      {
        source: 'fhir',
        index: { resource: 'Encounter', pick: 'last' },
        features: [
          { name: 'age', resource: 'Patient', value: 'age' },
          { name: 'sex', resource: 'Patient', value: 'gender', map: { male: 1, female: 0 } },
          {
            name: 'glucose_mean',
            resource: 'Observation',
            codes: [`${LOINC}|2345-7`],
            window: { from: -30, to: 0 },
            aggregate: 'mean',
            unit: 'mg/dL',
            convert: { 'mmol/L': 18.02 },
          },
          {
            name: 'glucose_n',
            resource: 'Observation',
            codes: ['2345-7'],
            window: { from: -30, to: 0 },
            aggregate: 'count',
          },
          {
            name: 'systolic',
            resource: 'Observation',
            codes: [`${LOINC}|8480-6`],
            window: { from: -1, to: 1 },
            unit: 'mm[Hg]',
          },
          {
            name: 'statin',
            resource: 'MedicationRequest',
            codes: [`${SNOMED}|372912004`],
            window: { from: -90, to: 0 },
            aggregate: 'any',
          },
        ],
        label,
      },
    );
    const { table, report } = await loadMappedInput('fhir', input.dir, input.mapping, options);
    // c has no encounter: not a row.
    expect(table.rows).toBe(2);
    expect(Array.from(table.numeric.age!)).toEqual([59, 70]);
    expect(Array.from(table.numeric.sex!)).toEqual([0, 1]);
    expect(table.numeric.glucose_mean![0]).toBeCloseTo((100 + 5.5 * 18.02) / 2, 10);
    expect(table.numeric.glucose_mean![1]).toBe(150);
    expect(Array.from(table.numeric.glucose_n!)).toEqual([2, 1]);
    expect(table.numeric.systolic![1]).toBe(141); // from the panel's component, not the diastolic
    expect(report.missingByColumn.systolic).toBe(1); // a has none: imputed
    expect(Array.from(table.numeric.statin!)).toEqual([1, 0]);
    expect(Array.from(table.labels)).toEqual([0, 1]);

    const counts = await countMappedPatients('fhir', input.dir, input.mapping);
    expect(counts).toMatchObject({ patients: 3, rows: 2, withoutIndex: 1 });
    const glucoseCount = counts.entries.find((e) => e.column === 'glucose_mean')!;
    expect(glucoseCount).toMatchObject({ patients: 2, records: 3, outsideWindow: 1, unknownUnits: 0 });
    expect(counts.entries.find((e) => e.column === 'systolic')).toMatchObject({ patients: 1, records: 1 });
  });

  it('counts no record that was entered in error, refuted, cancelled or not taken', async () => {
    const refuted = { coding: [{ code: 'refuted' }] };
    const input = exportWith(
      {
        'Patient.ndjson': [patient('a'), patient('b')],
        'Encounter.ndjson': [
          { ...visit('e0', 'a', '2019-01-01'), status: 'entered-in-error' },
          visit('e1', 'a', '2020-01-01'),
          visit('e2', 'b', '2020-01-01'),
        ],
        'Observation.ndjson': [
          glucose('a', '2020-01-01', 100),
          { ...glucose('a', '2020-01-01', 900), status: 'entered-in-error' },
        ],
        'Condition.ndjson': [
          {
            resourceType: 'Condition',
            subject: { reference: 'Patient/a' },
            code: { coding: [{ system: SNOMED, code: '53741008' }] },
            verificationStatus: refuted,
          },
          {
            resourceType: 'Condition',
            subject: { reference: 'Patient/b' },
            code: { coding: [{ system: SNOMED, code: '53741008' }] },
          },
        ],
        'MedicationStatement.ndjson': [
          {
            resourceType: 'MedicationStatement',
            status: 'not-taken',
            subject: { reference: 'Patient/a' },
            medicationCodeableConcept: { coding: [{ code: 'statin' }] },
          },
          {
            resourceType: 'MedicationStatement',
            status: 'active',
            subject: { reference: 'Patient/b' },
            medicationCodeableConcept: { coding: [{ code: 'statin' }] },
          },
        ],
      },
      {
        source: 'fhir',
        index: { resource: 'Encounter', pick: 'first' },
        features: [
          {
            name: 'glucose',
            resource: 'Observation',
            codes: ['2345-7'],
            window: { from: 0, to: 0 },
            aggregate: 'max',
          },
          { name: 'statin', resource: 'MedicationStatement', codes: ['statin'], aggregate: 'any' },
        ],
        label,
      },
    );
    const { table } = await loadMappedInput('fhir', input.dir, input.mapping, options);
    // a's first encounter was entered in error: its index is 2020-01-01, where glucose 100 is.
    expect(Array.from(table.numeric.glucose!)).toEqual([100, expect.any(Number)]);
    expect(Array.from(table.numeric.statin!)).toEqual([0, 1]);
    expect(Array.from(table.labels)).toEqual([0, 1]);
  });

  it('names the file and line of a malformed line, never its text', async () => {
    const input = exportWith(
      {
        'Patient.ndjson': `${JSON.stringify(patient('a'))}\n{"resourceType":"Patient","id":"b","name":"SECRET-NAME"\n`,
        'Encounter.ndjson': [visit('e', 'a', '2020-01-01')],
      },
      {
        source: 'fhir',
        index: { resource: 'Encounter' },
        features: [{ name: 'age', resource: 'Patient', value: 'age' }],
        label,
      },
    );
    const error = await loadMappedInput('fhir', input.dir, input.mapping, options).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'Patient.ndjson:2: not a JSON value (NDJSON wants one resource per line)',
    );
    expect((error as Error).message).not.toContain('SECRET');
  });

  it('refuses a resource of another type in a one-type file, naming file and line', async () => {
    const input = exportWith(
      {
        'Patient.ndjson': [patient('a')],
        'Observation.ndjson': [
          glucose('a', '2020-01-01', 90),
          { resourceType: 'Condition', subject: { reference: 'Patient/a' } },
        ],
      },
      { source: 'fhir', features: [{ name: 'g', resource: 'Observation', codes: ['2345-7'] }], label },
    );
    await expect(loadMappedInput('fhir', input.dir, input.mapping, options)).rejects.toThrow(
      'Observation.ndjson:2: a Condition in a file of Observation resources (one type per file)',
    );
  });

  it('refuses codes the map does not list and units without a conversion, naming entry and place', async () => {
    const input = exportWith(
      {
        'Patient.ndjson': [patient('a'), patient('b')],
        'Observation.ndjson': [
          glucose('a', '2020-01-01', 90, 'mg/dL'),
          glucose('b', '2020-01-01', 5, 'mmol/L'),
          {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: LOINC, code: '8601-7' }] },
            subject: { reference: 'Patient/b' },
            valueCodeableConcept: { coding: [{ system: SNOMED, code: '999999' }] },
          },
        ],
      },
      {
        source: 'fhir',
        features: [
          { name: 'glucose', resource: 'Observation', codes: ['2345-7'], unit: 'mg/dL' },
          {
            name: 'ecg',
            resource: 'Observation',
            codes: ['8601-7'],
            value: 'valueCodeableConcept',
            map: { [`${SNOMED}|164854000`]: 'normal' },
          },
        ],
        label,
      },
    );
    const error = (await loadMappedInput('fhir', input.dir, input.mapping, options).catch(
      (e: Error) => e,
    )) as Error;
    expect(error.message).toContain(
      "features[0] 'glucose': 1 record(s) in a unit that is neither 'unit' nor in 'convert' (first at Observation.ndjson:2)",
    );
    expect(error.message).toContain(
      "features[1] 'ecg': 1 record(s) with a code not in 'map' (first at Observation.ndjson:3)",
    );
    expect(error.message).not.toMatch(/999999|mmol/);
    const counts = await countMappedPatients('fhir', input.dir, input.mapping);
    expect(counts.entries.map((e) => [e.column, e.patients, e.unknownUnits, e.unmappedCodes])).toEqual([
      ['glucose', 1, 1, 0],
      ['ecg', 0, 0, 1],
      ['sick', 0, 0, 0],
    ]);
  });

  it('reports every problem of a mapping file at once', async () => {
    const input = exportWith(
      { 'Patient.ndjson': [patient('a')] },
      {
        source: 'fhir',
        features: [
          { name: 'age', resource: 'Patient', value: 'age' },
          { name: 'x', resource: 'Procedure' },
          { name: 'ecg', resource: 'Observation', value: 'valueCodeableConcept', aggregate: 'mean' },
          { name: 'hr', resource: 'Observation', window: { from: -1, to: 0 } },
        ],
        label,
      },
    );
    const error = (await loadMappedInput('fhir', input.dir, input.mapping, options).catch(
      (e: Error) => e,
    )) as Error;
    expect(
      error.message
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
    ).toEqual([
      "features.0.value: 'age' is counted at the 'index' event; give one",
      "features.1.resource: unknown resource 'Procedure'",
      "features.2.aggregate: 'mean' needs a numeric value, 'valueCodeableConcept' is not",
      "features.3.window: needs an 'index' event to be relative to",
    ]);
  });
});
