import { HeflError } from '../../../common/errors/index.js';
import { ageInYears, type ClinicalEvent, daysFrom } from './clinical-event.js';
import type { MappingEntry, MappingSpec } from './mapping-spec.js';

/** What one mapping entry found: shown by `hefl site check`, never values. */
export interface MappingEntryCount {
  readonly column: string;
  /** `features[3] 'chol'` or `label 'num'`. */
  readonly entry: string;
  readonly resource: string;
  /** Patients of the table (those with an index event) that have a value for this column. */
  readonly patients: number;
  /** Records that matched the entry's resource and codes and were used. */
  readonly records: number;
  /** Matched records outside the entry's window (or without a time while a window is set). */
  readonly outsideWindow: number;
  /** Matched records with nothing at the value path. */
  readonly withoutValue: number;
  /** Codes not listed in the entry's `map` (an error when loading). */
  readonly unmappedCodes: number;
  /** Quantities in a unit that is neither `unit` nor in `convert` (an error when loading). */
  readonly unknownUnits: number;
  /** Where the first unmapped code / unknown unit is (`Observation.ndjson:17`), if any. */
  readonly firstUnmappedAt: string | undefined;
  readonly firstUnknownUnitAt: string | undefined;
}

/** Per-entry counts plus how many patients the export holds and how many became rows. */
export interface MappingCounts {
  readonly patients: number;
  /** Patients with an index event: the rows of the table (all patients without an index). */
  readonly rows: number;
  readonly withoutIndex: number;
  /** Records pointing at a patient the export does not hold (ignored). */
  readonly unknownPatientRecords: number;
  readonly entries: readonly MappingEntryCount[];
}

/** The adapters' common output: one text cell per column per patient ('' = missing). */
export interface MappedRows {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly counts: MappingCounts;
}

interface Cell {
  n: number;
  sum: number;
  min: number;
  max: number;
  time: number;
  text: string | undefined;
  birth: number | undefined;
}

interface EntryStats {
  records: number;
  outsideWindow: number;
  withoutValue: number;
  unmappedCodes: number;
  unknownUnits: number;
  firstUnmapped: string | undefined;
  firstUnknownUnit: string | undefined;
}

/**
 * Collects, per patient and mapping entry, the events a source adapter reads, and turns them
 * into one row per patient. Memory is one accumulator per patient and column, whatever the
 * size of the export. Adapters must register patients first, then offer index events, then
 * entry events (a window is checked against the index when the event arrives).
 */
export class PatientRows {
  private readonly order: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private readonly index: (number | undefined)[] = [];
  private readonly cells: (Cell | undefined)[][] = [];
  private readonly stats: EntryStats[];
  private unknownPatientRecords = 0;

  constructor(private readonly spec: MappingSpec) {
    this.stats = spec.columns.map(() => ({
      records: 0,
      outsideWindow: 0,
      withoutValue: 0,
      unmappedCodes: 0,
      unknownUnits: 0,
      firstUnmapped: undefined,
      firstUnknownUnit: undefined,
    }));
  }

  /** Registers a patient; rows keep this order. A second record for one id is an error. */
  addPatient(id: string, where: string): void {
    if (this.rowOf.has(id))
      throw new HeflError('invalid_data', `${where}: a second record for one patient id`);
    this.rowOf.set(id, this.order.length);
    this.order.push(id);
    this.index.push(undefined);
    this.cells.push(this.spec.columns.map(() => undefined));
  }

  /** Offers an index event; the mapping's `pick` keeps the first or last by time. */
  offerIndex(patient: string, time: number | undefined): void {
    const row = this.rowOf.get(patient);
    if (row === undefined) {
      this.unknownPatientRecords++;
      return;
    }
    if (time === undefined) return;
    const current = this.index[row];
    const pickLast = this.spec.index?.pick === 'last';
    if (current === undefined || (pickLast ? time > current : time < current)) this.index[row] = time;
  }

  /** Adds one matched record for column `column` (index into `spec.columns`). */
  add(patient: string, column: number, event: ClinicalEvent): void {
    const row = this.rowOf.get(patient);
    if (row === undefined) {
      this.unknownPatientRecords++;
      return;
    }
    const entry = this.spec.columns[column]!;
    const stats = this.stats[column]!;
    if (entry.window) {
      const index = this.index[row];
      if (index === undefined) return; // the patient is not in the table
      const days = event.time === undefined ? undefined : daysFrom(index, event.time);
      if (days === undefined || days < entry.window.from || days > entry.window.to) {
        stats.outsideWindow++;
        return;
      }
    }
    const value = this.valueAt(entry, stats, event);
    if (value === undefined) return;
    stats.records++;
    const time = event.time ?? Number.NEGATIVE_INFINITY;
    const cells = this.cells[row]!;
    let cell = cells[column];
    if (cell === undefined) {
      cell = { n: 0, sum: 0, min: Infinity, max: -Infinity, time, text: undefined, birth: undefined };
      cells[column] = cell;
    }
    const first = cell.n === 0;
    cell.n++;
    if (typeof value === 'number') {
      cell.sum += value;
      cell.min = Math.min(cell.min, value);
      cell.max = Math.max(cell.max, value);
    }
    if (value !== true && typeof value !== 'number' && 'birth' in value) cell.birth = value.birth;
    const text =
      typeof value === 'number'
        ? String(value)
        : value === true
          ? '1'
          : 'text' in value
            ? value.text
            : undefined;
    const takes =
      first ||
      (entry.aggregate === 'last' && time >= cell.time) ||
      (entry.aggregate === 'first' && time < cell.time);
    if (takes) {
      cell.time = time;
      cell.text = text;
    }
  }

  /** The rows (patients with an index event, or all without an index) and the counts. */
  finish(): MappedRows {
    const spec = this.spec;
    const rows: string[][] = [];
    const withValue = spec.columns.map(() => 0);
    let withoutIndex = 0;
    this.order.forEach((_, row) => {
      const index = this.index[row];
      if (spec.index && index === undefined) {
        withoutIndex++;
        return;
      }
      const cells = this.cells[row]!;
      rows.push(
        spec.columns.map((entry, c) => {
          const cell = cells[c];
          if (cell !== undefined) withValue[c]!++;
          return cellText(entry, cell, index);
        }),
      );
    });
    const entries = spec.columns.map((entry, c) => {
      const s = this.stats[c]!;
      return Object.freeze({
        column: entry.name,
        entry: entry.where,
        resource: entry.resource,
        patients: withValue[c]!,
        records: s.records,
        outsideWindow: s.outsideWindow,
        withoutValue: s.withoutValue,
        unmappedCodes: s.unmappedCodes,
        unknownUnits: s.unknownUnits,
        firstUnmappedAt: s.firstUnmapped,
        firstUnknownUnitAt: s.firstUnknownUnit,
      });
    });
    return {
      header: spec.columns.map((c) => c.name),
      rows,
      counts: Object.freeze({
        patients: this.order.length,
        rows: rows.length,
        withoutIndex,
        unknownPatientRecords: this.unknownPatientRecords,
        entries: Object.freeze(entries),
      }),
    };
  }

  private valueAt(
    entry: MappingEntry,
    stats: EntryStats,
    event: ClinicalEvent,
  ): number | true | { text: string } | { birth: number } | undefined {
    const v = event.value;
    if (v === undefined) {
      stats.withoutValue++;
      return undefined;
    }
    switch (v.kind) {
      case 'present':
        return true;
      case 'birth':
        return { birth: v.time };
      case 'number': {
        if (entry.unit === undefined || v.unit === entry.unit) return v.value;
        const factor = v.unit === undefined ? undefined : entry.convert.get(v.unit);
        if (factor === undefined) {
          stats.unknownUnits++;
          stats.firstUnknownUnit ??= event.where;
          return undefined;
        }
        // 12 significant digits: no conversion factor is more precise, and it keeps
        // 6.0253...mmol/L × 38.67 at 233 mg/dL rather than 232.99999999999997.
        return Number((v.value * factor).toPrecision(12));
      }
      case 'text':
      case 'codes': {
        const codes = v.kind === 'text' ? [v.text] : v.codes;
        if (entry.map === undefined) return codes[0] === undefined ? undefined : { text: codes[0] };
        for (const code of codes) {
          const mapped = entry.map.get(code);
          if (mapped !== undefined) return { text: mapped };
        }
        stats.unmappedCodes++;
        stats.firstUnmapped ??= event.where;
        return undefined;
      }
    }
  }
}

function cellText(entry: MappingEntry, cell: Cell | undefined, index: number | undefined): string {
  switch (entry.aggregate) {
    case 'any':
      return cell === undefined ? '0' : '1';
    case 'count':
      return String(cell?.n ?? 0);
    case 'mean':
      return cell === undefined ? '' : String(cell.sum / cell.n);
    case 'min':
      return cell === undefined ? '' : String(cell.min);
    case 'max':
      return cell === undefined ? '' : String(cell.max);
    default:
      if (cell === undefined) return '';
      if (cell.birth !== undefined) return index === undefined ? '' : String(ageInYears(cell.birth, index));
      return cell.text ?? '';
  }
}
