/**
 * The codes the fixture converters write and the example mappings read. LOINC, SNOMED CT
 * and OMOP standard concepts where one fits; local codes (`LOCAL` system, OMOP concept ids
 * above 2,000,000,000 as the CDM reserves for local concepts) where none does.
 */
export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const LOCAL = 'http://hospital.example/fhir/CodeSystem/cardiology';

export const FHIR_CODES = {
  bpPanel: '85354-9',
  systolic: '8480-6',
  diastolic: '8462-4',
  cholesterol: '2093-3',
  heartRate: '8867-4',
  chestPain: '29857009',
  ecgImpression: '8601-7',
  hyperglycaemia: '80394007',
  coronaryDisease: '53741008',
  cardiologyVisit: '11429006',
  otherVisit: '185349003',
  statin: '372912004',
  /** cp 1..4 as SNOMED findings. */
  cp: { 1: '429559004', 2: '371807002', 3: '274668005', 4: '161971004' },
  /** restecg 0..2 as SNOMED findings. */
  restecg: { 0: '164854000', 1: '55930002', 2: '164873001' },
} as const;

export const OMOP_CONCEPTS = {
  male: 8507,
  female: 8532,
  outpatientVisit: 9202,
  inpatientVisit: 9201,
  systolic: 3004249,
  cholesterol: 3027114,
  heartRate: 3027018,
  mgPerDl: 8840,
  mmolPerL: 8753,
  mmHg: 8876,
  coronaryDisease: 317576,
  chestPain: 77670,
  oldpeak: 2000000101,
  exang: 2000000102,
  ecgImpression: 2000000103,
  hyperglycaemia: 2000000201,
  /** cp 1..4 and restecg 0..2 as local answer concepts. */
  cp: { 1: 2000000001, 2: 2000000002, 3: 2000000003, 4: 2000000004 },
  restecg: { 0: 2000000010, 1: 2000000011, 2: 2000000012 },
} as const;

/** mg/dL of total cholesterol per mmol/L. */
export const CHOLESTEROL_MG_PER_MMOL = 38.67;
