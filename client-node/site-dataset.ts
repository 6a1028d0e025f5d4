import { HeflError } from '../common/errors/index.js';
import type { JobSpec } from '../common/job/job-spec.js';
import type { MissingValueReport, SiteTable } from './data/index.js';
import { selectRows, stratifiedSplit } from './data/index.js';
import { loadSiteTable, type TableLocation } from './data/mapping/index.js';

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
}

/**
 * Loads the records the way the job asks (label, features, categorical columns, missing
 * rule) and splits off a stratified, seeded held-out set. A job the data cannot serve
 * (a column it lacks, another label) is refused with a reason the researcher may see.
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
  const base = {
    label: data.label,
    categorical: data.categorical,
    missing: data.missing,
    ...(source.columns ? { columns: source.columns } : {}),
  };
  let parsed = await loadSiteTable(source, base);
  if (data.features) {
    const present = new Set(parsed.table.featureColumns.map((c) => c.name));
    const missing = data.features.filter((f) => !present.has(f));
    if (missing.length > 0) {
      throw new HeflError('failed_precondition', `data lacks column(s) ${missing.join(', ')}`, {
        publicDetail: `this site's data lacks column(s) ${missing.join(', ')}`,
      });
    }
    const drop = [...present].filter((c) => !data.features!.includes(c));
    if (drop.length > 0) parsed = await loadSiteTable(source, { ...base, drop });
  }
  const { table, report } = parsed;
  const split = stratifiedSplit(table.labels, data.testFraction, spec.seed);
  if (split.train.length < 2 || split.test.length < 1) {
    throw new HeflError(
      'failed_precondition',
      `only ${table.rows} usable rows; too few to train and hold out`,
      {
        publicDetail: 'too few usable records for this job',
      },
    );
  }
  return { train: selectRows(table, split.train), test: selectRows(table, split.test), report };
}
