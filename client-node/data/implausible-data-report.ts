import {
  dataReportValues,
  hashedCategoricalColumns,
  MIN_CELL_SLOTS,
  VOCABULARY_SLOT_VALUES,
} from '../../common/fl/data-report-layout.js';
import { CATEGORY_BUCKETS } from '../../common/fl/round-section-shapes.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import { reportedFeatures } from './data-report.js';

/**
 * Round-0 data-report sums no set of honest sites can produce (names only, never values):
 * minimum-cell one-hots that do not add up to one per contributor, counts that are not
 * whole and non-negative, more values outside than rows, and code slots claiming more sites
 * than contributed or sites without rows. A site that spoils the report is caught like one
 * that spoils the statistics.
 */
export function implausibleDataReport(
  values: ArrayLike<number>,
  data: JobSpec['data'],
  contributors: number,
): string[] {
  const expected = dataReportValues(data);
  if (values.length !== expected)
    return [`data report has ${values.length} entries, the job needs ${expected}`];
  const problems: string[] = [];
  const isCount = (v: number) => Number.isInteger(v) && v >= 0;
  const minima = Array.from({ length: MIN_CELL_SLOTS }, (_, i) => values[i]!);
  if (!minima.every(isCount)) problems.push('data report: minimum cell sizes are not whole counts');
  else if (minima.reduce((a, b) => a + b, 0) !== contributors)
    problems.push(`data report: the minimum cell sizes stated are not one per each of ${contributors} sites`);
  let at = MIN_CELL_SLOTS;
  for (const f of reportedFeatures(data)) {
    const counts = Array.from({ length: 2 + f.codes.length }, () => values[at++]!);
    const [rows, outside, ...codes] = counts;
    if (!counts.every(isCount))
      problems.push(`data report, feature '${f.name}': counts are not whole and non-negative`);
    else if (outside! > rows! || codes.reduce((a, b) => a + b, 0) > rows!)
      problems.push(`data report, feature '${f.name}': more values counted than rows`);
  }
  hashedCategoricalColumns(data).forEach((column, k) => {
    for (let slot = 0; slot < CATEGORY_BUCKETS; slot++) {
      const first = at + (k * CATEGORY_BUCKETS + slot) * VOCABULARY_SLOT_VALUES;
      const [rows, sites, mixed] = [values[first]!, values[first + 1]!, values[first + 2]!];
      const whole = isCount(rows) && isCount(sites) && isCount(mixed);
      if (!whole || sites > contributors || mixed > sites || sites > rows || (rows > 0 && sites === 0)) {
        problems.push(`data report, column '${column}': code slots no set of sites can sum to`);
        return;
      }
    }
  });
  return problems;
}
