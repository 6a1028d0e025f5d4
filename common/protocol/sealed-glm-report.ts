import { HeflError } from '../errors/index.js';
import { openAsResearcher, sealForResearcher } from './sealed-metrics.js';

/** One row of a GLM regression table. */
export interface GlmCoefficient {
  readonly feature: string;
  readonly estimate: number;
  readonly standardError: number;
  readonly z: number;
  /** Two-sided, from the standard normal (as statsmodels' GLM and Logit report). */
  readonly pValue: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  /** exp(estimate): odds ratio (binomial) or rate ratio (poisson); null for gaussian. */
  readonly ratio: number | null;
}

/** A fitted GLM as the researcher receives it (sealed, like metrics). */
export interface GlmResult {
  readonly family: 'binomial' | 'gaussian' | 'poisson';
  readonly coefficients: readonly GlmCoefficient[];
  readonly deviance: number;
  readonly aic: number;
  readonly n: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Gaussian: RSS / (n - p); otherwise 1. */
  readonly dispersion: number;
  /** The ridge penalty the fit used (absent or 0: plain maximum likelihood). */
  readonly l2?: number;
}

/**
 * What the sites of a GLM job seal to the researcher after each iteration: the progress
 * (deviance of the pooled fit at the iteration's coefficients), then the table once it
 * converged, or the reason it cannot (separation, a constant column, a singular Hessian:
 * feature names only, never record values).
 */
export interface GlmReport {
  readonly kind: 'glm';
  readonly iteration: number;
  readonly deviance: number | null;
  readonly result: GlmResult | null;
  readonly error: string | null;
}

export function sealGlmReport(
  report: GlmReport,
  researcherKey: Uint8Array,
): { nonce: Uint8Array; sealed: Uint8Array } {
  return sealForResearcher(new TextEncoder().encode(JSON.stringify(report)), researcherKey);
}

/** Opens a sealed round payload: the GLM report, or null when it is another kind (metrics). */
export function openGlmReport(
  nonce: Uint8Array,
  sealed: Uint8Array,
  researcherSecretKey: Uint8Array,
): GlmReport | null {
  const value: unknown = JSON.parse(
    new TextDecoder().decode(openAsResearcher(nonce, sealed, researcherSecretKey)),
  );
  if (!value || typeof value !== 'object' || (value as { kind?: unknown }).kind !== 'glm') return null;
  const report = value as GlmReport;
  if (!Number.isInteger(report.iteration))
    throw new HeflError('integrity', 'sealed GLM report has no iteration');
  return report;
}
