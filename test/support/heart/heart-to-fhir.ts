import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CodeableConcept,
  Condition,
  Encounter,
  MedicationStatement,
  Observation,
  Patient,
} from '@medplum/fhirtypes';
import { FHIR_CODES as C, CHOLESTEROL_MG_PER_MMOL, LOCAL, LOINC, SNOMED } from './heart-codes.js';
import type { HeartRow } from './heart-rows.js';

const DAY = 86_400_000;

export interface FhirExportOptions {
  /** Write cholesterol in mmol/L instead of mg/dL (a site whose lab reports SI units). */
  readonly cholesterolInMmol?: boolean;
}

/** The day of patient `i`'s cardiology visit (the index event) in every fixture format. */
export function indexDay(i: number): number {
  return Date.UTC(2020, 0, 1) + i * DAY;
}

/** A birth date `age` full years (and some days) before `index`. */
export function birthDay(age: number, index: number, i: number): number {
  const d = new Date(index);
  return Date.UTC(d.getUTCFullYear() - age - 1, d.getUTCMonth(), d.getUTCDate()) + (1 + (i % 300)) * DAY;
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const concept = (system: string, code: string): CodeableConcept => ({ coding: [{ system, code }] });

/**
 * Writes the rows as a FHIR R4 Bulk Data export (one NDJSON file per resource type) into
 * `dir`: per patient a Patient, a cardiology Encounter (the index event) and an older other
 * visit, vital signs and labs as Observations (blood pressure as a panel with components,
 * heart rate twice so `max` finds the peak, an old cholesterol outside the window),
 * hyperglycaemia and coronary disease as Conditions, and a statin MedicationStatement.
 */
export function writeHeartFhirExport(
  dir: string,
  rows: readonly HeartRow[],
  options: FhirExportOptions = {},
): void {
  mkdirSync(dir, { recursive: true });
  const out: Record<string, string[]> = {
    Patient: [],
    Encounter: [],
    Observation: [],
    Condition: [],
    MedicationStatement: [],
  };
  const push = (r: Patient | Encounter | Observation | Condition | MedicationStatement) =>
    out[r.resourceType]!.push(JSON.stringify(r));
  rows.forEach((row, i) => {
    const id = `pt-${String(i).padStart(5, '0')}`;
    const subject = { reference: `Patient/${id}` };
    const day = indexDay(i);
    const at = (offsetDays: number) => `${iso(day + offsetDays * DAY)}T09:30:00Z`;
    push({
      resourceType: 'Patient',
      id,
      gender: row.sex === 1 ? 'male' : 'female',
      birthDate: iso(birthDay(row.age, day, i)),
    });
    push({
      resourceType: 'Encounter',
      id: `enc-${i}-old`,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      type: [concept(SNOMED, C.otherVisit)],
      subject,
      period: { start: at(-800) },
    });
    push({
      resourceType: 'Encounter',
      id: `enc-${i}`,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      type: [concept(SNOMED, C.cardiologyVisit)],
      subject,
      period: { start: at(0) },
    });
    const obs = (suffix: string, o: Omit<Observation, 'resourceType' | 'status' | 'subject' | 'id'>) =>
      push({ resourceType: 'Observation', id: `obs-${i}-${suffix}`, status: 'final', subject, ...o });
    obs('bp', {
      code: concept(LOINC, C.bpPanel),
      effectiveDateTime: at(0),
      component: [
        {
          code: concept(LOINC, C.systolic),
          valueQuantity: {
            value: row.trestbps,
            unit: 'mmHg',
            system: 'http://unitsofmeasure.org',
            code: 'mm[Hg]',
          },
        },
        {
          code: concept(LOINC, C.diastolic),
          valueQuantity: { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
    });
    const chol = (value: number, offset: number, suffix: string) =>
      obs(suffix, {
        code: concept(LOINC, C.cholesterol),
        effectiveDateTime: at(offset),
        valueQuantity: options.cholesterolInMmol
          ? {
              value: value / CHOLESTEROL_MG_PER_MMOL,
              unit: 'mmol/L',
              system: 'http://unitsofmeasure.org',
              code: 'mmol/L',
            }
          : { value, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      });
    chol(199, -1100, 'chol-old');
    if (row.chol !== undefined) chol(row.chol, -2, 'chol');
    obs('hr-rest', {
      code: concept(LOINC, C.heartRate),
      effectiveDateTime: at(0),
      valueQuantity: { value: Math.min(60, row.thalach), code: '/min' },
    });
    obs('hr-peak', {
      code: concept(LOINC, C.heartRate),
      effectiveDateTime: at(0),
      valueQuantity: { value: row.thalach, code: '/min' },
    });
    obs('cp', {
      code: concept(SNOMED, C.chestPain),
      effectiveDateTime: at(0),
      valueCodeableConcept: concept(SNOMED, C.cp[row.cp]),
    });
    obs('ecg', {
      code: concept(LOINC, C.ecgImpression),
      effectiveDateTime: at(0),
      valueCodeableConcept: concept(SNOMED, C.restecg[row.restecg]),
    });
    obs('exang', { code: concept(LOCAL, 'exang'), effectiveDateTime: at(0), valueBoolean: row.exang === 1 });
    obs('oldpeak', {
      code: concept(LOCAL, 'oldpeak'),
      effectiveDateTime: at(0),
      valueQuantity: { value: row.oldpeak, code: 'mm' },
    });
    if (row.fbs === 1)
      push({
        resourceType: 'Condition',
        id: `cond-${i}-fbs`,
        subject,
        code: concept(SNOMED, C.hyperglycaemia),
        onsetDateTime: at(-10),
      });
    if (row.num > 0)
      push({
        resourceType: 'Condition',
        id: `cond-${i}-cad`,
        subject,
        code: concept(SNOMED, C.coronaryDisease),
        onsetDateTime: at(1),
      });
    if (i % 3 === 0)
      push({
        resourceType: 'MedicationStatement',
        id: `med-${i}`,
        status: 'active',
        subject,
        medicationCodeableConcept: concept(SNOMED, C.statin),
        effectiveDateTime: at(-30),
      });
  });
  for (const [type, lines] of Object.entries(out))
    writeFileSync(join(dir, `${type}.ndjson`), `${lines.join('\n')}\n`);
}
