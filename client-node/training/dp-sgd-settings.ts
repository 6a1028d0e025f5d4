/**
 * How one round of local training runs DP-SGD (record-level DP), fixed when the site accepts
 * the job (`recordDpPlan`) so that the training is exactly what the accountant composed.
 */
export interface DpSgdSettings {
  /** C: L2 bound of each record's gradient (the sensitivity of a step's summed gradient). */
  readonly clipNorm: number;
  /** sigma: the Gaussian noise added to each step's summed gradient has stddev sigma * C. */
  readonly noiseMultiplier: number;
  /** q: each training record joins each step's batch independently with this probability (Poisson sampling). */
  readonly samplingRate: number;
  /** Noisy steps this round (replaces the job's epochs/steps for the round). */
  readonly steps: number;
  /**
   * Seeds the sampling and the noise, for tests and reproducible experiments only:
   * predictable noise gives no privacy. Unset (as at every real site): node:crypto's CSPRNG.
   */
  readonly insecureSeed?: number;
}
