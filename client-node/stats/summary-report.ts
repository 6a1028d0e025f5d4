import { HeflError } from '../../common/errors/index.js';
import {
  type SummaryShape,
  sortedKeys,
  summaryStrata,
  summaryVectorLength,
} from '../../common/fl/summary-layout.js';
import type {
  StatsCount,
  StatsNumeric,
  StatsQuantile,
  StatsReport,
  StatsStratum,
} from '../../common/protocol/sealed-stats-report.js';

const QUARTILES = [0.25, 0.5, 0.75];

/**
 * Reads the summed summary vector (all sites' vectors added under HE, decrypted) into the
 * tables the researcher receives. Counts are the exact integer totals; means and standard
 * deviations follow from the exact sums; quartiles are interpolated within histogram bins.
 */
export function summaryReport(shape: SummaryShape, sum: ArrayLike<number>): StatsReport {
  if (sum.length !== summaryVectorLength(shape))
    throw new HeflError(
      'integrity',
      `summary of length ${sum.length}, expected ${summaryVectorLength(shape)}`,
    );
  let at = 0;
  const count = (): StatsCount => {
    const c = { count: Math.round(sum[at]!), suppressedAt: Math.round(sum[at + 1]!) };
    at += 2;
    return c;
  };
  const counts = (n: number): StatsCount[] => Array.from({ length: n }, count);
  const strata: StatsStratum[] = summaryStrata(shape).map((level, s) => {
    const records = count();
    const positives = count();
    const numeric = shape.numeric.map((column): StatsNumeric => {
      const [n, total, squares, suppressedAt] = [0, 1, 2, 3].map((k) => sum[at + k]!) as [
        number,
        number,
        number,
        number,
      ];
      at += 4;
      const mean = n > 0 ? total / n : null;
      const sd = n > 1 ? Math.sqrt(Math.max(0, (squares - (total * total) / n) / (n - 1))) : null;
      return { column, n: Math.round(n), mean, sd, suppressedAt: Math.round(suppressedAt) };
    });
    const categories = sortedKeys(shape.categories).map((column) => {
      const levels = [...shape.categories[column]!, 'other'];
      return { column, cells: counts(levels.length).map((c, i) => ({ level: levels[i]!, ...c })) };
    });
    const histograms = sortedKeys(shape.histograms).map((column) => {
      const edges = shape.histograms[column]!;
      const bins = counts(edges.length + 1);
      return { column, edges: [...edges], bins, quartiles: QUARTILES.map((q) => quantileOf(edges, bins, q)) };
    });
    const crossTabs = shape.crossTabs.map(([rows, columns]) => {
      const rowLevels = [...shape.categories[rows]!, 'other'];
      const columnLevels = [...shape.categories[columns]!, 'other'];
      const cells = rowLevels.map(() => counts(columnLevels.length));
      return { rows, columns, rowLevels, columnLevels, cells };
    });
    return {
      stratum: s === 0 ? 'all' : `${shape.strata}=${level}`,
      records,
      positives,
      numeric,
      categories,
      histograms,
      crossTabs,
    };
  });
  return { kind: 'stats', strata };
}

/**
 * The q-quantile of binned counts: the bin where the cumulative count reaches q x total,
 * interpolated linearly inside it (resolution: that bin's width). In the open bin below the
 * first edge or at or above the last, only the bound is known.
 */
export function quantileOf(edges: readonly number[], bins: readonly StatsCount[], q: number): StatsQuantile {
  const total = bins.reduce((n, b) => n + b.count, 0);
  if (total === 0) return { q, value: null, bound: 'no records' };
  const target = q * total;
  let before = 0;
  for (let k = 0; k < bins.length; k++) {
    const c = bins[k]!.count;
    if (c > 0 && before + c >= target) {
      if (k === 0) return { q, value: null, bound: `< ${edges[0]}` };
      if (k === edges.length) return { q, value: null, bound: `>= ${edges[edges.length - 1]}` };
      const low = edges[k - 1]!;
      const high = edges[k]!;
      return { q, value: low + ((target - before) / c) * (high - low) };
    }
    before += c;
  }
  return { q, value: null, bound: `>= ${edges[edges.length - 1]}` };
}
