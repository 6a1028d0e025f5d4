/** One row of an OMOP table, every column as text ('' or undefined when NULL/empty). */
export interface OmopRow {
  /** `measurement.csv:17` or `measurement (database row 17)`: for messages, never a value. */
  readonly where: string;
  get(column: string): string | undefined;
}

/**
 * Where OMOP CDM tables come from: a folder of CSV exports or a PostgreSQL database. Rows
 * are streamed; `conceptIds` (when given) lets the source skip rows of other concepts early.
 */
export interface OmopSource {
  /** For messages and logs: a folder name, or the database URL without its password. */
  readonly name: string;
  rows(
    table: string,
    columns: readonly string[],
    concept?: { column: string; ids: readonly string[] },
  ): AsyncIterable<OmopRow>;
  close(): Promise<void>;
}
