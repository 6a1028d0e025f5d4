import { HeflError } from '../errors/index.js';
import { openAsResearcher, sealForResearcher } from './sealed-metrics.js';

/**
 * What the sites found in their data for a job's declared features, summed over all sites
 * under encryption in round 0 and sealed to the researcher: totals only, never one site's
 * figures. A code whose total is below `minCellSize` is suppressed (`count: null`).
 */
export interface DataReport {
  readonly kind: 'hefl-data-report/v1';
  readonly minCellSize: number;
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
