import { HeflError } from '../errors/index.js';
import { openAsResearcher, sealForResearcher } from './sealed-metrics.js';

/**
 * One count of a stats table, summed over sites. `suppressedAt` sites held between 1 and
 * their policy's `minCellSize - 1` records in this cell and sent 0 instead (before
 * encryption), so `count` is the total of the other sites only when it is above 0.
 */
export interface StatsCount {
  readonly count: number;
  readonly suppressedAt: number;
}

export interface StatsNumeric {
  readonly column: string;
  /** Records counted (those of sites that did not suppress the stratum). */
  readonly n: number;
  readonly mean: number | null;
  /** Sample standard deviation (n - 1 in the denominator); null below 2 records. */
  readonly sd: number | null;
  readonly suppressedAt: number;
}

/** A quartile read from a histogram: linear within its bin; null with `bound` in an open end bin. */
export interface StatsQuantile {
  readonly q: number;
  readonly value: number | null;
  readonly bound?: string;
}

export interface StatsStratum {
  /** `all`, or `column=level`. */
  readonly stratum: string;
  readonly records: StatsCount;
  /** Records whose label is positive (the job's label rule). */
  readonly positives: StatsCount;
  readonly numeric: readonly StatsNumeric[];
  readonly categories: readonly {
    readonly column: string;
    readonly cells: readonly (StatsCount & { readonly level: string })[];
  }[];
  readonly histograms: readonly {
    readonly column: string;
    readonly edges: readonly number[];
    /** Bins (-inf, e0), [e0, e1), ..., [e_last, +inf). */
    readonly bins: readonly StatsCount[];
    /** Quartiles 0.25, 0.5, 0.75 from the bins: resolution one bin width. */
    readonly quartiles: readonly StatsQuantile[];
  }[];
  readonly crossTabs: readonly {
    readonly rows: string;
    readonly columns: string;
    readonly rowLevels: readonly string[];
    readonly columnLevels: readonly string[];
    /** [row level][column level], `other` last in both. */
    readonly cells: readonly (readonly StatsCount[])[];
  }[];
}

/** What the sites of a stats job seal to the researcher: the tables, by stratum. */
export interface StatsReport {
  readonly kind: 'stats';
  readonly strata: readonly StatsStratum[];
}

export function sealStatsReport(
  report: StatsReport,
  researcherKey: Uint8Array,
): { nonce: Uint8Array; sealed: Uint8Array } {
  return sealForResearcher(new TextEncoder().encode(JSON.stringify(report)), researcherKey);
}

/** Opens a sealed round payload: the stats report, or null when it is another kind. */
export function openStatsReport(
  nonce: Uint8Array,
  sealed: Uint8Array,
  researcherSecretKey: Uint8Array,
): StatsReport | null {
  const value: unknown = JSON.parse(
    new TextDecoder().decode(openAsResearcher(nonce, sealed, researcherSecretKey)),
  );
  if (!value || typeof value !== 'object' || (value as { kind?: unknown }).kind !== 'stats') return null;
  const report = value as StatsReport;
  if (!Array.isArray(report.strata)) throw new HeflError('integrity', 'sealed stats report has no strata');
  return report;
}
