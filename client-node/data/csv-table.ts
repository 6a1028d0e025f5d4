/**
 * Types for a site's local table: what the CSV loader produces and the feature pipeline
 * consumes. Record values stay inside this process; only counts and (encrypted) sums leave.
 */

import type { CodeNormalisation } from '../../common/job/feature-schema.js';

export type ColumnKind = 'numeric' | 'categorical';

/** One feature column. All sites of a job must agree on the same list (names and kinds). */
export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  /**
   * A categorical column's declared vocabulary (normalised codes, in declared order): one
   * one-hot input per code instead of hashed buckets, plus an `other` input when `other`.
   */
  readonly vocabulary?: readonly string[];
  readonly other?: boolean;
}

/**
 * A cleaned local table, column-major. Every numeric value is finite (the missing-value rule
 * has run), every row has a binary label.
 */
export interface SiteTable {
  /** File name used in error messages (no directory). */
  readonly fileName: string;
  /** Feature columns in file order; excludes the label and dropped columns. */
  readonly featureColumns: readonly ColumnSpec[];
  readonly labelColumn: string;
  readonly rows: number;
  /** One array of length `rows` per numeric feature column, keyed by column name. */
  readonly numeric: Readonly<Record<string, Float64Array>>;
  /** One array of length `rows` per categorical feature column (trimmed cell text). */
  readonly categorical: Readonly<Record<string, readonly string[]>>;
  /** 1 = positive class, 0 = negative, one per row. */
  readonly labels: Uint8Array;
  /**
   * The label cell as a number (NaN where it is not one), one per row: the response of a
   * gaussian or poisson GLM job, which needs the value rather than the 0/1 class.
   */
  readonly labelValues?: Float64Array;
  /** Where each row came from in the input (line or record number), for local messages. */
  readonly lines?: readonly number[];
}

/**
 * What to do with rows that have a missing feature value. 'drop-row' removes them;
 * 'impute-mean' fills numeric cells with the column's local mean and categorical cells with
 * the column's most frequent local value (ties: alphabetically first).
 */
export type MissingRule = 'drop-row' | 'impute-mean';

/** How the label cell becomes 0/1 when no `positive` function is given. */
export type LabelRule = 'nonzero-positive' | 'binary';

/** Printed by the caller so the operator sees what the missing-value rule did. */
export interface MissingValueReport {
  /** Data rows read (header excluded, blank lines ignored). */
  readonly rowsRead: number;
  readonly rowsKept: number;
  readonly rowsDropped: number;
  /** Missing cells per feature column, counted over all rows read. */
  readonly missingByColumn: Readonly<Record<string, number>>;
  readonly rule: MissingRule;
}

export interface CsvTableOptions {
  /** Name of the label column. Required; a missing label cell is an error on any rule. */
  readonly label: string;
  /** Column names for a headerless file. When given, the first line is data, not a header. */
  readonly columns?: readonly string[];
  /**
   * The complete list of categorical feature columns; every other feature column must then be
   * numeric, and a non-numeric cell there is an error. When absent, kinds are inferred: a column
   * whose non-missing cells all parse as finite numbers is numeric, otherwise categorical.
   */
  readonly categorical?: readonly string[];
  /** Columns to ignore entirely (not parsed, not reported). */
  readonly drop?: readonly string[];
  /** Cell texts (after trimming) that mean "missing". Default `['?', '', 'NA']`. */
  readonly missingTokens?: readonly string[];
  /** Default 'drop-row'. */
  readonly missing?: MissingRule;
  /**
   * Default 'nonzero-positive': the label must be a number, > 0 is positive (UCI heart `num`).
   * 'binary': the label must be 0 or 1.
   */
  readonly labelRule?: LabelRule;
  /** Custom label mapping on the trimmed cell text; overrides `labelRule` (give only one). */
  readonly positive?: (raw: string) => boolean;
  /** Single-character field separator. Default ','. */
  readonly delimiter?: string;
  /** How category codes are normalised (default: numeric codes as numbers, trimmed, case kept). */
  readonly normalise?: CodeNormalisation | undefined;
}

/** Result of loading a CSV: the table plus the report of the missing-value rule. */
export interface ParsedCsv {
  readonly table: SiteTable;
  readonly report: MissingValueReport;
}
