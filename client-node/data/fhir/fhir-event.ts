import type {
  CodeableConcept,
  Coding,
  Condition,
  Encounter,
  MedicationRequest,
  MedicationStatement,
  Observation,
  ObservationComponent,
  Patient,
  Quantity,
  Reference,
} from '@medplum/fhirtypes';
import type { ClinicalEvent, EventValue } from '../mapping/clinical-event.js';
import { parseIsoTime } from '../mapping/clinical-event.js';

/** The resources of a Bulk Data export hefl reads (types from `@medplum/fhirtypes`). */
export type ReadResource =
  | Patient
  | Observation
  | Condition
  | MedicationStatement
  | MedicationRequest
  | Encounter;

/**
 * Whether a coding matches one of the mapping's codes: `system|code` matches exactly, a bare
 * `code` matches that code in any system. An empty code set matches everything.
 */
export function codingMatches(codes: ReadonlySet<string>, coding: Coding): boolean {
  if (codes.size === 0) return true;
  if (typeof coding.code !== 'string') return false;
  return codes.has(`${coding.system ?? ''}|${coding.code}`) || codes.has(coding.code);
}

function conceptMatches(
  codes: ReadonlySet<string>,
  concepts: readonly (CodeableConcept | undefined)[],
): boolean {
  if (codes.size === 0) return true;
  return concepts.some((c) => (c?.coding ?? []).some((coding) => codingMatches(codes, coding)));
}

/** The codings of a concept as `system|code`, in order, for `map` look-ups (bare code after). */
function conceptCodes(concept: CodeableConcept | undefined): string[] {
  const out: string[] = [];
  for (const coding of concept?.coding ?? []) {
    if (typeof coding.code !== 'string') continue;
    out.push(`${coding.system ?? ''}|${coding.code}`, coding.code);
  }
  return out;
}

/** The Patient id a record belongs to (`Patient/123`, or a full URL ending so), or undefined. */
export function patientOf(resource: ReadResource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  const subject: Reference | undefined = resource.subject;
  const match = /(?:^|\/)Patient\/([^/]+?)(?:\/_history\/[^/]+)?$/.exec(subject?.reference ?? '');
  return match?.[1];
}

/** When the record happened (UTC ms), by the usual element of its type. */
export function timeOf(resource: ReadResource): number | undefined {
  switch (resource.resourceType) {
    case 'Observation':
      return parseIsoTime(
        resource.effectiveDateTime ??
          resource.effectiveInstant ??
          resource.effectivePeriod?.start ??
          resource.issued,
      );
    case 'Condition':
      return parseIsoTime(resource.onsetDateTime ?? resource.onsetPeriod?.start ?? resource.recordedDate);
    case 'MedicationStatement':
      return parseIsoTime(
        resource.effectiveDateTime ?? resource.effectivePeriod?.start ?? resource.dateAsserted,
      );
    case 'MedicationRequest':
      return parseIsoTime(resource.authoredOn);
    case 'Encounter':
      return parseIsoTime(resource.period?.start);
    default:
      return undefined;
  }
}

/**
 * Whether a record states something that did not happen or was withdrawn, so no mapping
 * counts it: `entered-in-error` anywhere, a cancelled Observation, Encounter or
 * MedicationRequest, a MedicationStatement `not-taken`, a Condition whose verification
 * status is `refuted` or `entered-in-error`.
 */
export function isVoided(resource: ReadResource): boolean {
  switch (resource.resourceType) {
    case 'Observation':
    case 'Encounter':
    case 'MedicationRequest':
      return resource.status === 'entered-in-error' || resource.status === 'cancelled';
    case 'MedicationStatement':
      return resource.status === 'entered-in-error' || resource.status === 'not-taken';
    case 'Condition':
      return (resource.verificationStatus?.coding ?? []).some(
        (c) => c.code === 'refuted' || c.code === 'entered-in-error',
      );
    default:
      return false;
  }
}

/** Whether an index/feature's codes select this record (its code, medication, or encounter type/class). */
export function recordMatches(resource: ReadResource, codes: ReadonlySet<string>): boolean {
  switch (resource.resourceType) {
    case 'Observation':
      return (
        conceptMatches(codes, [resource.code]) ||
        (resource.component ?? []).some((c) => conceptMatches(codes, [c.code]))
      );
    case 'Condition':
      return conceptMatches(codes, [resource.code]);
    case 'MedicationStatement':
    case 'MedicationRequest':
      return conceptMatches(codes, [resource.medicationCodeableConcept]);
    case 'Encounter':
      return (
        conceptMatches(codes, resource.type ?? []) ||
        (resource.class !== undefined && codingMatches(codes, resource.class))
      );
    default:
      return true;
  }
}

/**
 * The event a matched record gives for a value path. For an Observation whose own code does
 * not match but a component's does (a blood-pressure panel), the component's value is used.
 */
export function fhirEvent(
  resource: ReadResource,
  codes: ReadonlySet<string>,
  value: string,
  where: string,
): ClinicalEvent {
  return { time: timeOf(resource), value: valueAt(resource, codes, value), where };
}

function valueAt(resource: ReadResource, codes: ReadonlySet<string>, path: string): EventValue | undefined {
  if (path === 'presence') return { kind: 'present' };
  switch (resource.resourceType) {
    case 'Patient': {
      if (path === 'gender')
        return resource.gender === undefined ? undefined : { kind: 'text', text: resource.gender };
      const birth = parseIsoTime(resource.birthDate);
      return birth === undefined ? undefined : { kind: 'birth', time: birth };
    }
    case 'Observation': {
      const source: Observation | ObservationComponent =
        conceptMatches(codes, [resource.code]) || resource.component === undefined
          ? resource
          : (resource.component.find((c) => conceptMatches(codes, [c.code])) ?? resource);
      return observationValue(source, path);
    }
    case 'Condition':
      return { kind: 'codes', codes: conceptCodes(resource.code) };
    case 'MedicationStatement':
    case 'MedicationRequest':
      return { kind: 'codes', codes: conceptCodes(resource.medicationCodeableConcept) };
    case 'Encounter':
      return { kind: 'codes', codes: (resource.type ?? []).flatMap(conceptCodes) };
    default:
      return undefined;
  }
}

function observationValue(source: Observation | ObservationComponent, path: string): EventValue | undefined {
  switch (path) {
    case 'valueQuantity':
      return quantity(source.valueQuantity);
    case 'valueInteger':
      return typeof source.valueInteger === 'number'
        ? { kind: 'number', value: source.valueInteger, unit: undefined }
        : undefined;
    case 'valueBoolean':
      return typeof source.valueBoolean === 'boolean'
        ? { kind: 'text', text: source.valueBoolean ? '1' : '0' }
        : undefined;
    case 'valueCodeableConcept':
      return source.valueCodeableConcept === undefined
        ? undefined
        : { kind: 'codes', codes: conceptCodes(source.valueCodeableConcept) };
    case 'valueString':
      return typeof source.valueString === 'string' ? { kind: 'text', text: source.valueString } : undefined;
    default:
      return undefined;
  }
}

function quantity(q: Quantity | undefined): EventValue | undefined {
  if (typeof q?.value !== 'number' || !Number.isFinite(q.value)) return undefined;
  const unit = q.code ?? q.unit;
  return { kind: 'number', value: q.value, unit };
}
