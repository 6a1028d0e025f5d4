import { computeEpsilon } from '../../common/dp/rdp-accountant.js';
import { HeflError } from '../../common/errors/index.js';
import { noiseMultiplierFor } from './noise-multiplier-for.js';

export interface RecordDpPlanInput {
  /** The job's target epsilon for one record at this site, over the whole job. */
  readonly epsilon: number;
  readonly delta: number;
  /** C: per-example gradient L2 bound (the job's dp.clipNorm). */
  readonly clipNorm: number;
  /** This site's training rows: only the site knows its own count, and nobody else needs it. */
  readonly rows: number;
  /** The job's local settings: expected batch size and steps or epochs per round. */
  readonly local: {
    readonly batchSize: number;
    readonly steps?: number | undefined;
    readonly epochs?: number | undefined;
  };
  /** Training rounds of the job (each runs `stepsPerRound` DP-SGD steps at this site). */
  readonly rounds: number;
}

/** What one site's DP-SGD runs with, and what the accountant says it spends. */
export interface RecordDpPlan {
  readonly unit: 'record';
  readonly clipNorm: number;
  /** sigma, chosen for this site: the smallest that keeps its epsilon <= the job's. */
  readonly noiseMultiplier: number;
  /** q = expected batch size / rows (Poisson sampling), at most 1. */
  readonly samplingRate: number;
  readonly stepsPerRound: number;
  /** Steps composed by the accountant: stepsPerRound x rounds. */
  readonly steps: number;
  /** Epsilon the accountant gives for these settings (<= the job's epsilon). */
  readonly epsilon: number;
  readonly delta: number;
}

/**
 * Record-level DP accounting for one site (DP-SGD with Poisson sampling): q = batchSize /
 * rows at this site, steps = local steps per round x rounds, composed by the RDP accountant
 * for the Poisson-subsampled Gaussian (Mironov, Talwar, Zhang 2019). A round's local steps
 * are the job's `local.steps`, or `local.epochs` (default 1) x ceil(rows / batchSize), as in
 * plain training. A small site samples a larger fraction per step and so needs more noise
 * for the same epsilon. Throws `invalid_argument` for bad input or an unreachable epsilon.
 */
export function recordDpPlan(input: RecordDpPlanInput): RecordDpPlan {
  const { epsilon, delta, clipNorm, rows, local, rounds } = input;
  if (!(Number.isSafeInteger(rows) && rows >= 1)) {
    throw new HeflError(
      'invalid_argument',
      `record-level DP needs the site's training rows (>= 1), got ${rows}`,
    );
  }
  if (!(Number.isSafeInteger(rounds) && rounds >= 1)) {
    throw new HeflError('invalid_argument', `rounds must be a positive integer, got ${rounds}`);
  }
  const batchSize = Math.min(local.batchSize, rows);
  const samplingRate = batchSize / rows;
  const stepsPerRound = local.steps ?? (local.epochs ?? 1) * Math.ceil(rows / batchSize);
  const steps = stepsPerRound * rounds;
  const noiseMultiplier = noiseMultiplierFor({ epsilon, delta, steps, samplingRate });
  const spent = computeEpsilon({ noiseMultiplier, samplingRate, steps, delta }).epsilon;
  return Object.freeze({
    unit: 'record',
    clipNorm,
    noiseMultiplier,
    samplingRate,
    stepsPerRound,
    steps,
    epsilon: spent,
    delta,
  });
}
