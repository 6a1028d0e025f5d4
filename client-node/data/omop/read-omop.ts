import { HeflError } from '../../../common/errors/index.js';
import { type ClinicalEvent, type EventValue, parseIsoTime } from '../mapping/clinical-event.js';
import type { MappingEntry, MappingSpec } from '../mapping/mapping-spec.js';
import { type MappedRows, PatientRows } from '../mapping/patient-rows.js';
import type { OmopRow, OmopSource } from './omop-source.js';
import { OMOP_TABLES, type OmopTable } from './omop-vocabulary.js';

/**
 * Reads OMOP CDM v5.4 tables through a mapping: one row per PERSON (ordered by person_id)
 * that has an index event, cells per mapping entry. Reads PERSON, then the index table, then
 * every mapped table, asking the source only for rows of the mapped concept ids.
 * Throws `invalid_data` naming table and row (never a value) for a bad id, date or number.
 */
export async function readOmop(source: OmopSource, spec: MappingSpec): Promise<MappedRows> {
  if (spec.source !== 'omop')
    throw new HeflError('invalid_config', `the mapping is for source '${spec.source}', not omop`);
  const rows = new PatientRows(spec);
  const person = OMOP_TABLES.person!;
  const personColumns = spec.columns.flatMap((e, c) => (e.resource === 'person' ? [c] : []));
  const people: { id: string; key: bigint; row: OmopRow; birth: number | undefined }[] = [];
  for await (const row of source.rows('person', person.columns)) {
    const id = personId(row);
    people.push({ id, key: BigInt(id), row: snapshot(row, person.columns), birth: birthOf(row) });
  }
  if (people.length === 0) throw new HeflError('invalid_data', `${source.name}: the PERSON table is empty`);
  people.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const p of people) {
    rows.addPatient(p.id, p.row.where);
    for (const c of personColumns) rows.add(p.id, c, personEvent(spec.columns[c]!, p.row, p.birth));
  }

  if (spec.index) {
    const table = OMOP_TABLES[spec.index.resource]!;
    for await (const row of source.rows(table.name, table.columns, conceptFilter(table, spec.index.codes))) {
      if (!conceptMatches(table, spec.index.codes, row)) continue;
      rows.offerIndex(personId(row), timeOf(table, row));
    }
  }

  const tables = [...new Set(spec.columns.map((e) => e.resource))].filter((t) => t !== 'person');
  for (const name of tables) {
    const table = OMOP_TABLES[name]!;
    const columns = spec.columns.flatMap((e, c) => (e.resource === name ? [c] : []));
    const all = new Set<string>();
    let anyConcept = false;
    for (const c of columns) {
      if (spec.columns[c]!.codes.size === 0) anyConcept = true;
      for (const id of spec.columns[c]!.codes) all.add(id);
    }
    const filter = anyConcept ? undefined : conceptFilter(table, all);
    for await (const row of source.rows(table.name, table.columns, filter)) {
      const id = personId(row);
      for (const c of columns) {
        const entry = spec.columns[c]!;
        if (!conceptMatches(table, entry.codes, row)) continue;
        rows.add(id, c, { time: timeOf(table, row), value: valueAt(table, entry, row), where: row.where });
      }
    }
  }
  return rows.finish();
}

function conceptFilter(table: OmopTable, ids: ReadonlySet<string>) {
  if (ids.size === 0 || table.conceptColumn === undefined) return undefined;
  for (const id of ids) {
    if (!/^\d+$/.test(id))
      throw new HeflError('invalid_config', `OMOP concept ids are integers; '${id}' is not`);
  }
  return { column: table.conceptColumn, ids: [...ids] };
}

function conceptMatches(table: OmopTable, ids: ReadonlySet<string>, row: OmopRow): boolean {
  if (ids.size === 0 || table.conceptColumn === undefined) return true;
  const id = row.get(table.conceptColumn);
  return id !== undefined && ids.has(id);
}

function personId(row: OmopRow): string {
  const id = row.get('person_id');
  if (id === undefined || !/^-?\d+$/.test(id))
    throw new HeflError('invalid_data', `${row.where}: column 'person_id' is not an integer`);
  return id;
}

function timeOf(table: OmopTable, row: OmopRow): number | undefined {
  for (const column of table.timeColumns) {
    const text = row.get(column);
    if (text === undefined) continue;
    const time = parseIsoTime(text);
    if (time === undefined)
      throw new HeflError('invalid_data', `${row.where}: column '${column}' is not a date`);
    return time;
  }
  return undefined;
}

function birthOf(row: OmopRow): number | undefined {
  const datetime = row.get('birth_datetime');
  if (datetime !== undefined) {
    const t = parseIsoTime(datetime);
    if (t === undefined)
      throw new HeflError('invalid_data', `${row.where}: column 'birth_datetime' is not a date`);
    return t;
  }
  const part = (column: string, fallback: number | undefined) => {
    const text = row.get(column);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text))
      throw new HeflError('invalid_data', `${row.where}: column '${column}' is not an integer`);
    return Number(text);
  };
  const year = part('year_of_birth', undefined);
  if (year === undefined) return undefined;
  return Date.UTC(year, (part('month_of_birth', 1) ?? 1) - 1, part('day_of_birth', 1) ?? 1);
}

function personEvent(entry: MappingEntry, row: OmopRow, birth: number | undefined): ClinicalEvent {
  let value: EventValue | undefined;
  if (entry.value === 'age') value = birth === undefined ? undefined : { kind: 'birth', time: birth };
  else {
    const gender = row.get('gender_concept_id');
    value = gender === undefined ? undefined : { kind: 'codes', codes: [gender] };
  }
  return { time: undefined, value, where: row.where };
}

function valueAt(table: OmopTable, entry: MappingEntry, row: OmopRow): EventValue | undefined {
  switch (entry.value) {
    case 'presence':
      return { kind: 'present' };
    case 'concept': {
      const id = row.get(table.conceptColumn!);
      return id === undefined ? undefined : { kind: 'codes', codes: [id] };
    }
    case 'value_as_concept_id': {
      const id = row.get('value_as_concept_id');
      return id === undefined ? undefined : { kind: 'codes', codes: [id] };
    }
    case 'value_as_string': {
      const text = row.get('value_as_string');
      return text === undefined ? undefined : { kind: 'text', text };
    }
    default: {
      const text = row.get('value_as_number');
      if (text === undefined) return undefined;
      const value = Number(text);
      if (!Number.isFinite(value))
        throw new HeflError('invalid_data', `${row.where}: column 'value_as_number' is not a number`);
      return { kind: 'number', value, unit: row.get('unit_concept_id') };
    }
  }
}

/** A row whose values stay readable after the source moved on (CSV rows are reused). */
function snapshot(row: OmopRow, columns: readonly string[]): OmopRow {
  const values = new Map(columns.map((c) => [c, row.get(c)]));
  return { where: row.where, get: (c) => values.get(c) };
}
