import { HeflError } from '../common/errors/index.js';
import type { JobSpec } from '../common/job/job-spec.js';
import type { FeatureFinding } from './data/apply-feature-schema.js';
import { type SplitSource, splitByLines, takeSplitColumn } from './data/fixed-split.js';
import type { MissingValueReport, SiteTable } from './data/index.js';
import { type SplitIndices, selectRows, stratifiedSplit } from './data/index.js';
import { loadRawTable, type TableLocation } from './data/mapping/index.js';
import type { RawTable } from './data/raw-table.js';
import { requireFit, siteTableForJob } from './data/site-table-for-job.js';

/** Where a site's records are and how to read them; set by hospital IT at `hefl site start`. */
export interface SiteDataSource extends TableLocation {
  /** The label column this site's data uses; a job asking for another is declined. */
  readonly label?: string;
  /** Column names for a headerless CSV. */
  readonly columns?: readonly string[];
  /**
   * A fixed split instead of the job's seeded one: the column holding `train`/`test` per
   * row (never a feature). At most one of `splitColumn` and `testPath`.
   */
  readonly splitColumn?: string;
  /** A fixed split: the held-out records in a second file of the same format and columns. */
  readonly testPath?: string;
}

/** A job's view of the site's records: the local train/held-out split. Never leaves the site. */
export interface SiteDataset {
  readonly train: SiteTable;
  readonly test: SiteTable;
  /** Rows read, kept and dropped (both files together for `testPath`) and where the split came from. */
  readonly report: MissingValueReport & { readonly split: SplitSource };
  /** What the job's declared schema found in the local data (counts only; never leaves in the clear). */
  readonly findings?: readonly FeatureFinding[];
}

/**
 * Loads the records the way the job asks (label, features, categorical columns, missing
 * rule, declared feature schema) and splits off a stratified, seeded held-out set. A job the
 * data cannot serve (a column it lacks, another label, values outside the declared schema)
 * is refused with a reason the researcher may see: which column or feature, never a value.
 */
export async function loadSiteDataset(source: SiteDataSource, spec: JobSpec): Promise<SiteDataset> {
  const { data } = spec;
  if (source.label && source.label !== data.label) {
    throw new HeflError(
      'failed_precondition',
      `job labels '${data.label}', this site's label column is '${source.label}'`,
      {
        publicDetail: `this site's data has no label column '${data.label}'`,
      },
    );
  }
  if (source.splitColumn !== undefined && source.testPath !== undefined) {
    throw new HeflError('invalid_argument', 'give a split column or a test file, not both');
  }
  const raw = await loadRawTable(source, source.columns);
  if (source.testPath === undefined) return datasetFromRaw(raw, spec, source.splitColumn);
  const testRaw = await loadRawTable({ ...source, path: source.testPath }, source.columns);
  return datasetFromFiles(raw, testRaw, spec);
}

/**
 * The dataset of a raw table from any input adapter (CSV, FHIR, OMOP); see `loadSiteDataset`.
 * With `splitColumn` the split is the one that column states; without, the job's seeded split.
 */
export function datasetFromRaw(raw: RawTable, spec: JobSpec, splitColumn?: string): SiteDataset {
  const fixed = splitColumn === undefined ? undefined : takeSplitColumn(raw, splitColumn);
  const jobTable = siteTableForJob(fixed?.raw ?? raw, spec.data);
  requireFit(jobTable);
  const { table } = jobTable;
  const report = {
    ...jobTable.report,
    rowsKept: table.rows,
    rowsDropped: jobTable.report.rowsRead - table.rows,
    split: fixed
      ? ({ kind: 'column', column: splitColumn! } as const)
      : ({ kind: 'seeded', testFraction: spec.data.testFraction, seed: spec.seed } as const),
  };
  const split: SplitIndices = fixed
    ? splitByLines(table, fixed.testLines, splitColumn!)
    : stratifiedSplit(table.labels, spec.data.testFraction, spec.seed);
  if (split.train.length < 2 || split.test.length < 1) {
    throw new HeflError(
      'failed_precondition',
      `only ${table.rows} usable rows; too few to train and hold out`,
      {
        publicDetail: 'too few usable records for this job',
      },
    );
  }
  return {
    train: selectRows(table, split.train),
    test: selectRows(table, split.test),
    report,
    findings: jobTable.findings,
  };
}

/**
 * Train records in one input, held-out records in another: each read the way the job asks;
 * both must give the same feature columns (names and kinds), else `failed_precondition`.
 * With `impute-mean` each file is imputed from its own rows.
 */
function datasetFromFiles(trainRaw: RawTable, testRaw: RawTable, spec: JobSpec): SiteDataset {
  const trainTable = siteTableForJob(trainRaw, spec.data);
  requireFit(trainTable);
  const testTable = siteTableForJob(testRaw, spec.data);
  requireFit(testTable);
  const columnsOf = (t: SiteTable) => t.featureColumns.map((c) => `${c.name}:${c.kind}`).join(',');
  if (columnsOf(trainTable.table) !== columnsOf(testTable.table)) {
    const detail = 'the test file gives other feature columns (or kinds) than the data file';
    throw new HeflError('failed_precondition', `${testRaw.source}: ${detail}`, { publicDetail: detail });
  }
  const train = trainTable.table;
  const test = testTable.table;
  if (train.rows < 2 || test.rows < 1) {
    throw new HeflError(
      'failed_precondition',
      `only ${train.rows} usable train and ${test.rows} test rows; too few to train and hold out`,
      { publicDetail: 'too few usable records for this job' },
    );
  }
  const rowsRead = trainTable.report.rowsRead + testTable.report.rowsRead;
  const missingByColumn: Record<string, number> = { ...trainTable.report.missingByColumn };
  for (const [name, n] of Object.entries(testTable.report.missingByColumn))
    missingByColumn[name] = (missingByColumn[name] ?? 0) + n;
  return {
    train,
    test,
    report: {
      ...trainTable.report,
      rowsRead,
      rowsKept: train.rows + test.rows,
      rowsDropped: rowsRead - train.rows - test.rows,
      missingByColumn,
      split: { kind: 'file', file: testRaw.source },
    },
    findings: trainTable.findings.map((f, i) => addFindings(f, testTable.findings[i]!)),
  };
}

/** One feature's findings over both files (same declared feature, same order). */
function addFindings(a: FeatureFinding, b: FeatureFinding): FeatureFinding {
  const unit = a.unitMismatch ?? b.unitMismatch;
  return {
    name: a.name,
    type: a.type,
    rows: a.rows + b.rows,
    outOfRange: a.outOfRange + b.outOfRange,
    outOfVocabulary: a.outOfVocabulary + b.outOfVocabulary,
    ...(unit === undefined ? {} : { unitMismatch: unit }),
    codeCounts: a.codeCounts.map((n, k) => n + (b.codeCounts[k] ?? 0)),
  };
}
