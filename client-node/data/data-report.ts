import { declaredFeatures } from '../../common/job/feature-schema.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import type { DataReport } from '../../common/protocol/sealed-data-report.js';
import type { FeatureFinding } from './apply-feature-schema.js';
import { normaliseCode } from './normalise-code.js';

/** Smallest total a code may have to be shown to the researcher; smaller totals are suppressed. */
export const MIN_CELL_SIZE = 5;

/**
 * This site's data-report vector: per declared feature, in declared order, [rows, outside,
 * count of each declared code]. Its length depends only on the job's schema, so all sites'
 * vectors add up slot by slot under encryption. Never sent in the clear.
 */
export function dataReportVector(findings: readonly FeatureFinding[]): Float64Array {
  return Float64Array.from(
    findings.flatMap((f) => [f.rows, f.outOfRange + f.outOfVocabulary, ...f.codeCounts]),
  );
}

/**
 * The researcher's report from the summed vectors. `codes` gives each declared feature's
 * normalised codes (empty for numeric ones), in the same order as the findings were made.
 */
export function dataReportFromSum(
  features: readonly { name: string; type: FeatureFinding['type']; codes: readonly string[] }[],
  sum: Float64Array | readonly number[],
): DataReport {
  let at = 0;
  const next = () => Math.round(sum[at++]!);
  return {
    kind: 'hefl-data-report/v1',
    minCellSize: MIN_CELL_SIZE,
    features: features.map((f) => {
      const rows = next();
      const outside = next();
      const codes = f.codes.map((code) => {
        const count = next();
        return { code, count: count >= MIN_CELL_SIZE ? count : null };
      });
      return { name: f.name, type: f.type, rows, outside, ...(f.type === 'numeric' ? {} : { codes }) };
    }),
  };
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
