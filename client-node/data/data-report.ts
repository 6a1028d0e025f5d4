import { HeflError } from '../../common/errors/index.js';
import {
  dataReportValues,
  hashedCategoricalColumns,
  MAX_MIN_CELL_SIZE,
  MIN_CELL_SLOTS,
} from '../../common/fl/data-report-layout.js';
import { declaredFeatures } from '../../common/job/feature-schema.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import type { DataReport } from '../../common/protocol/sealed-data-report.js';
import type { FeatureFinding } from './apply-feature-schema.js';
import type { SiteTable } from './csv-table.js';
import { normaliseCode } from './normalise-code.js';
import { vocabularyFromSum, vocabularyVector } from './vocabulary-report.js';

/** Minimum cell size when a site's policy states none: smaller totals are not shown to the researcher. */
export const DEFAULT_MIN_CELL_SIZE = 5;

/**
 * This site's round-0 data-report vector (layout: common/fl/data-report-layout.ts): the
 * one-hot of its minimum cell size, then per declared feature, in declared order, [rows,
 * outside, count of each declared code], then the hashed columns' code slots
 * (`vocabularyVector`). Its length depends only on the job, so all sites' vectors add up
 * slot by slot under encryption. Never sent in the clear.
 */
export function dataReportVector(parts: {
  minCellSize: number;
  findings: readonly FeatureFinding[];
  vocabulary: Float64Array;
}): Float64Array {
  const minCell = new Float64Array(MIN_CELL_SLOTS);
  minCell[checkedMinCellSize(parts.minCellSize) - 1] = 1;
  const declared = parts.findings.flatMap((f) => [f.rows, f.outOfRange + f.outOfVocabulary, ...f.codeCounts]);
  return Float64Array.from([...minCell, ...declared, ...parts.vocabulary]);
}

/**
 * The researcher's report from the summed vectors of `contributors` sites. The minimum cell
 * size is the largest any contributing site stated (read from the one-hot counts), so every
 * site computes the same report and no site's minimum is undercut.
 */
export function dataReportFromSum(
  data: JobSpec['data'],
  salt: string,
  sum: Float64Array | readonly number[],
  contributors: number,
): DataReport {
  let minCellSize = DEFAULT_MIN_CELL_SIZE;
  for (let k = MIN_CELL_SLOTS; k >= 1; k--) {
    if (Math.round(sum[k - 1]!) > 0) {
      minCellSize = k;
      break;
    }
  }
  let at = MIN_CELL_SLOTS;
  const next = () => Math.round(sum[at++]!);
  const features = reportedFeatures(data).map((f) => {
    const rows = next();
    const outside = next();
    const codes = f.codes.map((code) => {
      const count = next();
      return { code, count: count >= minCellSize ? count : null };
    });
    return { name: f.name, type: f.type, rows, outside, ...(f.type === 'numeric' ? {} : { codes }) };
  });
  const hashed = hashedCategoricalColumns(data);
  return {
    kind: 'hefl-data-report/v1',
    minCellSize,
    sites: contributors,
    features,
    ...(hashed.length > 0
      ? { vocabulary: vocabularyFromSum(hashed, salt, Array.from(sum).slice(at), minCellSize, contributors) }
      : {}),
  };
}

/** A policy's minimum cell size, checked again where it is used (1..MAX_MIN_CELL_SIZE, whole). */
function checkedMinCellSize(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_MIN_CELL_SIZE)
    throw new HeflError(
      'invalid_config',
      `minimum cell size must be a whole number in 1..${MAX_MIN_CELL_SIZE}`,
    );
  return value;
}

/** The declared features of a job with their normalised codes, in declared order. */
export function reportedFeatures(
  data: JobSpec['data'],
): { name: string; type: FeatureFinding['type']; codes: string[] }[] {
  return declaredFeatures(data.features).map((f) => ({
    name: f.name,
    type: f.type,
    codes:
      f.type === 'numeric'
        ? []
        : (f.type === 'binary' ? f.codes : f.vocabulary.codes).map((c) => normaliseCode(c, data.normalise)),
  }));
}

/**
 * This site's data-report vector for a job, or undefined when the job sends none (no declared
 * feature and no hashed categorical column). Counts every usable row, training and held-out.
 */
export function siteDataReportVector(
  data: JobSpec['data'],
  salt: string,
  tables: readonly Pick<SiteTable, 'categorical'>[],
  findings: readonly FeatureFinding[],
  minCellSize: number,
): Float64Array | undefined {
  if (dataReportValues(data) === 0) return undefined;
  const columns = hashedCategoricalColumns(data).map((name) => ({
    name,
    values: tables.map((t) => t.categorical[name] ?? []),
  }));
  return dataReportVector({ minCellSize, findings, vocabulary: vocabularyVector(columns, salt) });
}
