import { HeflError } from '../common/errors/index.js';
import type { JobSpec } from '../common/job/job-spec.js';
import type { FeatureFinding } from './data/apply-feature-schema.js';
import type { MissingValueReport, SiteTable } from './data/index.js';
import { selectRows, stratifiedSplit } from './data/index.js';
import { loadRawTable, type TableLocation } from './data/mapping/index.js';
import type { RawTable } from './data/raw-table.js';
import { requireFit, siteTableForJob } from './data/site-table-for-job.js';

/** Where a site's records are and how to read them; set by hospital IT at `hefl site start`. */
export interface SiteDataSource extends TableLocation {
  /** The label column this site's data uses; a job asking for another is declined. */
  readonly label?: string;
  /** Column names for a headerless CSV. */
  readonly columns?: readonly string[];
}

/** A job's view of the site's records: the local train/held-out split. Never leaves the site. */
export interface SiteDataset {
  readonly train: SiteTable;
  readonly test: SiteTable;
  readonly report: MissingValueReport;
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
  return datasetFromRaw(await loadRawTable(source, source.columns), spec);
}

/** The dataset of a raw table from any input adapter (CSV, FHIR, OMOP); see `loadSiteDataset`. */
export function datasetFromRaw(raw: RawTable, spec: JobSpec): SiteDataset {
  const jobTable = siteTableForJob(raw, spec.data);
  requireFit(jobTable);
  const { table } = jobTable;
  const report = {
    ...jobTable.report,
    rowsKept: table.rows,
    rowsDropped: jobTable.report.rowsRead - table.rows,
  };
  const split = stratifiedSplit(table.labels, spec.data.testFraction, spec.seed);
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
