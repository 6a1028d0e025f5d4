import type { MappingVocabulary } from '../mapping/mapping-spec.js';

/** Value paths per FHIR R4 resource type; the first is the default. */
const VALUES: Readonly<Record<string, readonly string[]>> = {
  Patient: ['age', 'gender'],
  Observation: [
    'valueQuantity',
    'valueInteger',
    'valueBoolean',
    'valueCodeableConcept',
    'valueString',
    'presence',
  ],
  Condition: ['presence', 'code'],
  MedicationStatement: ['presence', 'medication'],
  MedicationRequest: ['presence', 'medication'],
  Encounter: ['presence', 'type'],
};

const NUMERIC = new Set(['valueQuantity', 'valueInteger']);

/** What a FHIR mapping may name: the resource types of a Bulk Data export hefl reads. */
export const fhirVocabulary: MappingVocabulary = {
  resource: (name) => Object.keys(VALUES).find((r) => r === name),
  values: (resource) => VALUES[resource] ?? [],
  numeric: (_resource, value) => NUMERIC.has(value),
  timeless: (resource) => resource === 'Patient',
};

/** Resource types the loader reads, in the order the mapping may use them. */
export const FHIR_RESOURCE_TYPES: readonly string[] = Object.keys(VALUES);
