import { HeflError } from '../../common/errors/index.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import type { FeatureFinding } from './apply-feature-schema.js';
import type { ColumnKind, ParsedCsv } from './csv-table.js';
import { tableFromRaw } from './parse-csv.js';
import type { RawTable } from './raw-table.js';
import { requireFit, siteTableForJob } from './site-table-for-job.js';
import { stratifiedSplit } from './stratified-split.js';

/** One feature column as this site's data has it (local only: it carries ranges). */
export interface ColumnCheck {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Missing cells over all rows read. */
  readonly missing: number;
  /** Smallest and largest value of a numeric column (shown only to the site's operator). */
  readonly min?: number;
  readonly max?: number;
  /** Distinct codes of a categorical column after normalisation. */
  readonly codes?: number;
  /** Set when the job declares the feature. */
  readonly declared?: FeatureFinding;
}

/**
 * What `hefl site check` shows: the site's data read exactly as a job would read it.
 * `problems` are the reasons the job could not run here; each names the source and the
 * column or feature, never a cell value.
 */
export interface SiteDataCheck {
  readonly source: string;
  readonly rowsRead: number;
  /** Rows a job would use (after the missing-value rule and the schema's drop-row rules). */
  readonly rowsUsable: number;
  readonly label?: { readonly column: string; readonly positive: number; readonly negative: number };
  readonly columns: readonly ColumnCheck[];
  readonly problems: readonly string[];
}

export interface SiteCheckOptions {
  /** The label column when no job is given (hospital IT's `--label`). */
  readonly label?: string | undefined;
  /** A job to check the data against: its data section and declared feature schema. */
  readonly job?: JobSpec | undefined;
}

/**
 * Reads a raw table (from any input adapter) as the site node would for `options.job`, or
 * with only a label when there is no job, and reports rows, missingness, ranges, unknown
 * codes, label balance and every problem that would stop a job. Never throws for data
 * problems; throws `invalid_argument` when neither a job nor a label is given.
 */
export function checkSiteData(raw: RawTable, options: SiteCheckOptions): SiteDataCheck {
  const label = options.job?.data.label ?? options.label;
  if (label === undefined)
    throw new HeflError('invalid_argument', 'give a label column or a job to check against');
  const base = { source: raw.source, rowsRead: raw.rows.length, rowsUsable: 0, columns: [] };
  if (raw.rows.length === 0) return { ...base, problems: [`${raw.source}: empty file: no data rows`] };
  if (!raw.columns.includes(label)) {
    return { ...base, problems: [`${raw.source}: no label column '${label}'`] };
  }
  const problems: string[] = [];
  let parsed: ParsedCsv;
  try {
    parsed = tableFromRaw(raw, {
      label,
      ...(options.job
        ? {
            categorical: categoricalOf(options.job).filter((c) => raw.columns.includes(c)),
            missing: options.job.data.missing,
            drop: unusedColumns(raw, options.job),
          }
        : {}),
      ...(options.job?.data.normalise ? { normalise: options.job.data.normalise } : {}),
    });
  } catch (error) {
    if (!HeflError.is(error)) throw error;
    return { ...base, problems: [error.message] };
  }
  let usable = parsed.table;
  let findings: readonly FeatureFinding[] = [];
  if (options.job) {
    try {
      const jobTable = siteTableForJob(raw, options.job.data);
      findings = jobTable.findings;
      usable = jobTable.table;
      problems.push(...jobTable.problems.map((p) => p.message));
      requireFit(jobTable);
      const split = stratifiedSplit(usable.labels, options.job.data.testFraction, options.job.seed);
      if (split.train.length < 2 || split.test.length < 1)
        problems.push(`${raw.source}: only ${usable.rows} usable rows; too few to train and hold out`);
    } catch (error) {
      if (!HeflError.is(error)) throw error;
      if (problems.length === 0) problems.push(error.message);
    }
  }
  const { table, report } = parsed;
  const columns = table.featureColumns.map((c): ColumnCheck => {
    const declared = findings.find((f) => f.name === c.name);
    const common = { name: c.name, kind: c.kind, missing: report.missingByColumn[c.name] ?? 0 };
    const extra = declared ? { declared } : {};
    if (c.kind === 'categorical')
      return { ...common, codes: new Set(table.categorical[c.name]).size, ...extra };
    const values = table.numeric[c.name]!;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { ...common, ...(values.length > 0 ? { min, max } : {}), ...extra };
  });
  const positive = usable.labels.reduce((a, y) => a + y, 0);
  return {
    source: raw.source,
    rowsRead: raw.rows.length,
    rowsUsable: usable.rows,
    label: { column: label, positive, negative: usable.rows - positive },
    columns,
    problems,
  };
}

function categoricalOf(job: JobSpec): string[] {
  const declared = (job.data.features ?? []).flatMap((f) =>
    typeof f !== 'string' && f.type !== 'numeric' ? [f.name] : [],
  );
  return [...new Set([...job.data.categorical, ...declared])].filter((c) => c !== job.data.label);
}

/** Columns a job with a feature list ignores. */
function unusedColumns(raw: RawTable, job: JobSpec): string[] {
  const features = job.data.features;
  if (!features) return [];
  const wanted = new Set(features.map((f) => (typeof f === 'string' ? f : f.name)));
  return raw.columns.filter((c) => c !== job.data.label && !wanted.has(c));
}
