/**
 * What a source adapter (FHIR, OMOP) hands the row builder for one matched resource or
 * table row: when it happened and the value at the entry's value path. Values stay inside
 * the site process; `where` (file:line or table name) is for messages and never holds a value.
 */
export interface ClinicalEvent {
  /** Milliseconds since the epoch (UTC), or undefined when the record has no usable time. */
  readonly time: number | undefined;
  /** Undefined when the record matched but holds nothing at the value path. */
  readonly value: EventValue | undefined;
  readonly where: string;
}

export type EventValue =
  /** A measurement; `unit` is the UCUM code or OMOP unit concept id as the source wrote it. */
  | { readonly kind: 'number'; readonly value: number; readonly unit: string | undefined }
  /** Codes of one concept (e.g. every coding of a CodeableConcept); the first mapped one counts. */
  | { readonly kind: 'codes'; readonly codes: readonly string[] }
  | { readonly kind: 'text'; readonly text: string }
  /** A birth date: the cell becomes the age in full years at the patient's index event. */
  | { readonly kind: 'birth'; readonly time: number }
  /** The record itself is the value (a condition, a prescription): for `any` / `count`. */
  | { readonly kind: 'present' };

const DAY_MS = 86_400_000;

/** Full calendar years from `birth` to `at` (both UTC ms). */
export function ageInYears(birth: number, at: number): number {
  const b = new Date(birth);
  const a = new Date(at);
  let years = a.getUTCFullYear() - b.getUTCFullYear();
  const beforeBirthday =
    a.getUTCMonth() < b.getUTCMonth() ||
    (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate());
  if (beforeBirthday) years--;
  return years;
}

/**
 * Calendar days (UTC) from the index event's day to the record's day: a lab value dated
 * `2020-01-01` is on day 0 of an index visit at `2020-01-01T09:30Z`, not 0.4 days before it.
 */
export function daysFrom(index: number, time: number): number {
  return Math.floor(time / DAY_MS) - Math.floor(index / DAY_MS);
}

/**
 * Parses an ISO 8601 date or date-time (FHIR `date`/`dateTime`/`instant`, OMOP `DATE` /
 * `TIMESTAMP` text) to UTC ms; a partial date (`2019`, `2019-05`) is its first day; a
 * date-time without zone is read as UTC. Undefined when it is not a date.
 */
export function parseIsoTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/.test(t))
    return undefined;
  const iso = t.replace(' ', 'T');
  const withZone = /T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : undefined;
}
