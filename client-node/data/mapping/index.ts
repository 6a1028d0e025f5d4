export type { ClinicalEvent, EventValue } from './clinical-event.js';
export {
  countMappedPatients,
  isPostgresUrl,
  loadMappedInput,
  loadMappedRawTable,
  type MappedInput,
} from './load-mapped-input.js';
export {
  DATA_INPUTS,
  type DataInput,
  loadRawTable,
  type TableLocation,
} from './load-site-table.js';
export type { MappingEntry, MappingSpec } from './mapping-spec.js';
export type { MappedRows, MappingCounts, MappingEntryCount } from './patient-rows.js';
export { readMappingFile } from './read-mapping-file.js';
