import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHOLESTEROL_MG_PER_MMOL, OMOP_CONCEPTS as O } from './heart-codes.js';
import type { HeartRow } from './heart-rows.js';
import { birthDay, indexDay } from './heart-to-fhir.js';

type Cell = string | number | null;
export type OmopTables = Record<string, { columns: readonly string[]; rows: Cell[][] }>;

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** OMOP CDM v5.4 columns of the tables the fixture fills (a subset of the full DDL). */
export const OMOP_DDL: Record<string, string> = {
  person: `person_id bigint NOT NULL, gender_concept_id integer NOT NULL, year_of_birth integer NOT NULL,
    month_of_birth integer, day_of_birth integer, birth_datetime timestamp, race_concept_id integer NOT NULL,
    ethnicity_concept_id integer NOT NULL`,
  visit_occurrence: `visit_occurrence_id bigint NOT NULL, person_id bigint NOT NULL, visit_concept_id integer NOT NULL,
    visit_start_date date NOT NULL, visit_start_datetime timestamp, visit_end_date date NOT NULL,
    visit_type_concept_id integer NOT NULL`,
  measurement: `measurement_id bigint NOT NULL, person_id bigint NOT NULL, measurement_concept_id integer NOT NULL,
    measurement_date date NOT NULL, measurement_datetime timestamp, measurement_type_concept_id integer NOT NULL,
    value_as_number numeric, value_as_concept_id integer, unit_concept_id integer`,
  observation: `observation_id bigint NOT NULL, person_id bigint NOT NULL, observation_concept_id integer NOT NULL,
    observation_date date NOT NULL, observation_datetime timestamp, observation_type_concept_id integer NOT NULL,
    value_as_number numeric, value_as_string varchar(60), value_as_concept_id integer, unit_concept_id integer`,
  condition_occurrence: `condition_occurrence_id bigint NOT NULL, person_id bigint NOT NULL,
    condition_concept_id integer NOT NULL, condition_start_date date NOT NULL, condition_start_datetime timestamp,
    condition_type_concept_id integer NOT NULL`,
};

const EHR = 32817; // type concept "EHR"

/**
 * The rows as OMOP CDM v5.4 tables: PERSON (person_id 1000 + row), an outpatient visit (the
 * index event) and an older inpatient one, MEASUREMENT for blood pressure, cholesterol (an
 * old one outside the window; mmol/L when asked), heart rate twice, ST depression and the ECG
 * impression, OBSERVATION for chest-pain type and exercise angina, CONDITION_OCCURRENCE for
 * hyperglycaemia and coronary disease.
 */
export function heartOmopTables(
  rows: readonly HeartRow[],
  options: { cholesterolInMmol?: boolean } = {},
): OmopTables {
  const t = (columns: string[]) => ({ columns, rows: [] as Cell[][] });
  const tables = {
    person: t([
      'person_id',
      'gender_concept_id',
      'year_of_birth',
      'month_of_birth',
      'day_of_birth',
      'birth_datetime',
      'race_concept_id',
      'ethnicity_concept_id',
    ]),
    visit_occurrence: t([
      'visit_occurrence_id',
      'person_id',
      'visit_concept_id',
      'visit_start_date',
      'visit_start_datetime',
      'visit_end_date',
      'visit_type_concept_id',
    ]),
    measurement: t([
      'measurement_id',
      'person_id',
      'measurement_concept_id',
      'measurement_date',
      'measurement_datetime',
      'measurement_type_concept_id',
      'value_as_number',
      'value_as_concept_id',
      'unit_concept_id',
    ]),
    observation: t([
      'observation_id',
      'person_id',
      'observation_concept_id',
      'observation_date',
      'observation_datetime',
      'observation_type_concept_id',
      'value_as_number',
      'value_as_string',
      'value_as_concept_id',
      'unit_concept_id',
    ]),
    condition_occurrence: t([
      'condition_occurrence_id',
      'person_id',
      'condition_concept_id',
      'condition_start_date',
      'condition_start_datetime',
      'condition_type_concept_id',
    ]),
  };
  let id = 1;
  rows.forEach((row, i) => {
    const person = 1000 + i;
    const day = indexDay(i);
    const date = (offset: number) => iso(day + offset * DAY);
    const birth = new Date(birthDay(row.age, day, i));
    tables.person.rows.push([
      person,
      row.sex === 1 ? O.male : O.female,
      birth.getUTCFullYear(),
      birth.getUTCMonth() + 1,
      birth.getUTCDate(),
      null,
      0,
      0,
    ]);
    tables.visit_occurrence.rows.push([id++, person, O.inpatientVisit, date(-800), null, date(-797), EHR]);
    tables.visit_occurrence.rows.push([id++, person, O.outpatientVisit, date(0), null, date(0), EHR]);
    const m = (
      concept: number,
      offset: number,
      value: number | null,
      valueConcept: number | null,
      unit: number | null,
    ) =>
      tables.measurement.rows.push([
        id++,
        person,
        concept,
        date(offset),
        null,
        EHR,
        value,
        valueConcept,
        unit,
      ]);
    m(O.systolic, 0, row.trestbps, null, O.mmHg);
    const chol = (value: number, offset: number) =>
      options.cholesterolInMmol
        ? m(O.cholesterol, offset, value / CHOLESTEROL_MG_PER_MMOL, null, O.mmolPerL)
        : m(O.cholesterol, offset, value, null, O.mgPerDl);
    chol(199, -1100);
    if (row.chol !== undefined) chol(row.chol, -2);
    m(O.heartRate, 0, Math.min(60, row.thalach), null, null);
    m(O.heartRate, 0, row.thalach, null, null);
    m(O.oldpeak, 0, row.oldpeak, null, null);
    m(O.ecgImpression, 0, null, O.restecg[row.restecg], null);
    const o = (concept: number, value: number | null, valueConcept: number | null) =>
      tables.observation.rows.push([
        id++,
        person,
        concept,
        date(0),
        null,
        EHR,
        value,
        null,
        valueConcept,
        null,
      ]);
    o(O.chestPain, null, O.cp[row.cp]);
    o(O.exang, row.exang, null);
    if (row.fbs === 1)
      tables.condition_occurrence.rows.push([id++, person, O.hyperglycaemia, date(-10), null, EHR]);
    if (row.num > 0)
      tables.condition_occurrence.rows.push([id++, person, O.coronaryDisease, date(1), null, EHR]);
  });
  return tables;
}

/** Writes one `<TABLE>.csv` per table (upper-case names, as many OMOP exports do). */
export function writeOmopCsvFolder(dir: string, tables: OmopTables): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, { columns, rows }] of Object.entries(tables)) {
    const lines = [
      columns.join(','),
      ...rows.map((r) => r.map((c) => (c === null ? '' : String(c))).join(',')),
    ];
    writeFileSync(join(dir, `${name.toUpperCase()}.csv`), `${lines.join('\n')}\n`);
  }
}
