import { HeflError } from '../errors/index.js';
import { openAsResearcher, sealForResearcher } from './sealed-metrics.js';

/**
 * The codes found in one categorical column without a declared vocabulary (a short job's
 * hashed buckets), from sums over all sites: no site's own counts or codes.
 */
export interface VocabularyFound {
  readonly name: string;
  /** Rows with a code in this column, over all sites. */
  readonly rows: number;
  /** Codes whose total is at least `minCellSize`, most frequent first, with the number of sites holding each. */
  readonly codes: readonly { readonly code: string; readonly count: number; readonly sites: number }[];
  /** Codes found whose total is below `minCellSize`: neither code nor count shown. */
  readonly suppressed: number;
  /** Hashed inputs where different codes meet (they share one model input) or a code is over 40 bytes: not named. */
  readonly unresolved: number;
  /** True when no code of this column is held by every site (the sites seem to code it differently). */
  readonly disjoint: boolean;
}

/**
 * What the sites found in their data, summed over all sites under encryption in round 0 and
 * sealed to the researcher: totals only, never one site's figures. For declared features the
 * rows, values outside and declared codes' totals (below `minCellSize`: `count: null`); for
 * hashed categorical columns the codes actually found (`vocabulary`). `minCellSize` is the
 * largest minimum of the sites whose data is in the totals (each site's policy).
 */
export interface DataReport {
  readonly kind: 'hefl-data-report/v1';
  readonly minCellSize: number;
  /** Sites whose data is in the totals. */
  readonly sites?: number;
  /** Codes found in the job's categorical columns without a declared vocabulary. */
  readonly vocabulary?: readonly VocabularyFound[];
  readonly features: readonly {
    readonly name: string;
    readonly type: 'numeric' | 'categorical' | 'binary';
    /** Rows checked over all sites (after the missing-value rule). */
    readonly rows: number;
    /** Values outside the declared range (numeric) or vocabulary (categorical, binary). */
    readonly outside: number;
    /** Per declared code, the total over all sites; null when below `minCellSize`. */
    readonly codes?: readonly { readonly code: string; readonly count: number | null }[];
  }[];
}

export function sealDataReport(report: DataReport, researcherKey: Uint8Array) {
  return sealForResearcher(new TextEncoder().encode(JSON.stringify(report)), researcherKey);
}

/** Opens a sealed round-0 payload; `integrity` if it is not a data report. */
export function openDataReport(
  nonce: Uint8Array,
  sealed: Uint8Array,
  researcherSecretKey: Uint8Array,
): DataReport {
  const value = JSON.parse(
    new TextDecoder().decode(openAsResearcher(nonce, sealed, researcherSecretKey)),
  ) as DataReport;
  if (value?.kind !== 'hefl-data-report/v1')
    throw new HeflError('integrity', 'round 0 payload is not a data report');
  return value;
}
