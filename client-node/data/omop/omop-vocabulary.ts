import type { MappingVocabulary } from '../mapping/mapping-spec.js';

/** One OMOP CDM v5.4 table hefl reads: its concept column, time columns and value paths. */
export interface OmopTable {
  readonly name: string;
  /** Undefined for PERSON (every row is a patient). */
  readonly conceptColumn: string | undefined;
  /** Tried in order: the datetime column, then the date column. */
  readonly timeColumns: readonly string[];
  /** Value paths; the first is the default. */
  readonly values: readonly string[];
  /** Columns read from the table (all read as text). */
  readonly columns: readonly string[];
}

const table = (
  name: string,
  conceptColumn: string | undefined,
  time: string,
  values: string[],
  extra: string[],
): OmopTable => {
  const timeColumns = time === '' ? [] : [`${time}_datetime`, `${time}_date`];
  return Object.freeze({
    name,
    conceptColumn,
    timeColumns,
    values,
    columns: ['person_id', ...(conceptColumn ? [conceptColumn] : []), ...timeColumns, ...extra],
  });
};

/** PERSON, MEASUREMENT, OBSERVATION, CONDITION_OCCURRENCE (features) and VISIT_OCCURRENCE (index). */
export const OMOP_TABLES: Readonly<Record<string, OmopTable>> = Object.freeze({
  person: table(
    'person',
    undefined,
    '',
    ['age', 'gender_concept_id'],
    ['gender_concept_id', 'year_of_birth', 'month_of_birth', 'day_of_birth', 'birth_datetime'],
  ),
  measurement: table(
    'measurement',
    'measurement_concept_id',
    'measurement',
    ['value_as_number', 'value_as_concept_id', 'presence', 'concept'],
    ['value_as_number', 'value_as_concept_id', 'unit_concept_id'],
  ),
  observation: table(
    'observation',
    'observation_concept_id',
    'observation',
    ['value_as_number', 'value_as_concept_id', 'value_as_string', 'presence', 'concept'],
    ['value_as_number', 'value_as_concept_id', 'value_as_string', 'unit_concept_id'],
  ),
  condition_occurrence: table(
    'condition_occurrence',
    'condition_concept_id',
    'condition_start',
    ['presence', 'concept'],
    [],
  ),
  visit_occurrence: table('visit_occurrence', 'visit_concept_id', 'visit_start', ['presence', 'concept'], []),
});

/** What an OMOP mapping may name: table names in any case (`MEASUREMENT` = `measurement`). */
export const omopVocabulary: MappingVocabulary = {
  resource: (name) => OMOP_TABLES[name.toLowerCase()]?.name,
  values: (resource) => OMOP_TABLES[resource]?.values ?? [],
  numeric: (_resource, value) => value === 'value_as_number',
  timeless: (resource) => resource === 'person',
};
