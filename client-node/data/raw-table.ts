/**
 * A site's records as read, before any typing: column names and, per record, the cell
 * texts. Every input adapter (CSV here; FHIR R4 and OMOP CDM elsewhere) produces one, and
 * everything after it — missing-value rule, code normalisation, the job's feature schema,
 * the preflight check — reads only this. Cell texts stay inside the site.
 */
export interface RawTable {
  /** Names the input in messages: a file's base name, or a mapping file. */
  readonly source: string;
  readonly columns: readonly string[];
  /** Where the names came from: the file's header row, the `columns` option, or a mapping file. */
  readonly columnsFrom: 'header' | 'option' | 'mapping';
  /** Data records in input order; each has exactly `columns.length` cells (absent = ''). */
  readonly rows: readonly RawRow[];
}

export interface RawRow {
  /** 1-based line of the record in the input (the header is line 1), or the record number. */
  readonly line: number;
  readonly cells: readonly string[];
}
