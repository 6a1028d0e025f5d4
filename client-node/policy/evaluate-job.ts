import { canAfford, type DpBudget, remaining } from '../../common/dp/dp-budget.js';
import { HeflError } from '../../common/errors/index.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import type { DpFilterSettings } from '../privacy/dp-update-filter.js';
import { noiseMultiplierFor } from '../privacy/noise-multiplier-for.js';
import { type RecordDpPlan, recordDpPlan } from '../privacy/record-dp-plan.js';
import { modelSizeProblem } from './model-size-problem.js';
import type { SitePolicy } from './site-policy.js';

export interface JobEvaluationInput {
  readonly policy: SitePolicy;
  readonly spec: JobSpec;
  /** The job's hash (hex SHA-256 of its canonical spec): what `hefl site approve` names. */
  readonly jobHash: string;
  /**
   * Model input width, if known. The exact width is only known after round 0 (global
   * feature vocabularies); a lower bound may be passed before. Unset: the size check uses
   * width 1, the smallest model the spec can be.
   */
  readonly inputDim?: number | undefined;
  /** The site's ledger now (`BudgetStore.current()`). */
  readonly budget: DpBudget;
  /** Job hashes approved at this site (`ApprovalStore.approved()`). */
  readonly approvals: ReadonlySet<string>;
  /**
   * Sites the DP noise is shared between (K); capped at the job's minSites, the fewest
   * sites a round can close with. 1 = this site adds the whole noise itself.
   */
  readonly sitesExpected: number;
  /**
   * This site's training rows: record-level DP (dp.unit 'record') chooses its noise from
   * them. Required for such a job; unused otherwise.
   */
  readonly trainRows?: number | undefined;
  /**
   * This site's records for the job (training and held-out together): a `glm` or `stats`
   * job is declined when they are fewer than the policy's `minRecords`. Unset = not checked.
   */
  readonly siteRecords?: number | undefined;
}

export type JobEvaluation =
  | {
      readonly accept: true;
      /** Epsilon to record against the budget: the job's stated dp.epsilon; 0 for a job without DP. */
      readonly epsilonThisJob: number;
      /** sigma the job's updates need for its epsilon; 0 for a job without DP. */
      readonly noiseMultiplier: number;
      /** What the job's DP protects: one record, one site's update, or nothing (no DP). */
      readonly unit: 'record' | 'site' | null;
      /** Settings for `DpUpdateFilter` (site-level DP); null otherwise. */
      readonly dp: DpFilterSettings | null;
      /** This site's DP-SGD settings and their accounting (record-level DP); null otherwise. */
      readonly dpSgd: RecordDpPlan | null;
    }
  | {
      readonly accept: false;
      /** Every reason, joined with '; ': what the researcher sees in `hefl job status`. */
      readonly reason: string;
      readonly reasons: readonly string[];
      /** The job is inside the policy and only lacks hospital IT's explicit approval (the node holds the offer). */
      readonly awaitingApproval: boolean;
    };

/**
 * Decides whether this site takes part in a job, from its policy, its privacy ledger and
 * its approvals. Pure: spending the budget is the caller's next step (`BudgetStore.spend`).
 * A decline lists every policy problem at once, in words a researcher can act on; "waiting
 * for explicit approval" only appears for a job that is otherwise inside the policy.
 *
 * DP accounting: a job states its epsilon (at its delta) up front, and the site reserves it
 * whole. Record-level (dp.unit 'record'): DP-SGD, accounted per site with q = batchSize /
 * this site's rows and steps = local steps x rounds (`recordDpPlan`); sigma is chosen here,
 * from this site's own row count. Site-level ('site'): every accepted site sends an update
 * each of the `spec.rounds` rounds, so the accountant runs with sampling rate 1 and steps =
 * rounds. Either way sigma is the smallest that reaches the stated epsilon. Throws
 * `invalid_argument` only for caller mistakes (a bad inputDim, sitesExpected or trainRows).
 */
export function evaluateJob(input: JobEvaluationInput): JobEvaluation {
  const { policy, spec, jobHash, budget } = input;
  checkCallerInput(input);
  const reasons: string[] = [];
  const kind = spec.model.kind;
  if (!policy.allowedModels.includes(kind)) {
    reasons.push(
      `model kind ${kind} is not allowed by this site's policy (allowed: ${policy.allowedModels.join(', ')})`,
    );
  }
  const fewRecords = minRecordsProblem(policy, kind, input.siteRecords);
  if (fewRecords !== undefined) reasons.push(fewRecords);
  const tooBig = modelSizeProblem(policy, spec, input.inputDim);
  if (tooBig !== undefined) reasons.push(tooBig);
  if (policy.maxRounds !== undefined && spec.rounds > policy.maxRounds) {
    reasons.push(`job runs ${spec.rounds} rounds but this site allows at most ${policy.maxRounds}`);
  }
  if (spec.release.toResearcher && !policy.allowRelease) {
    reasons.push("job releases the final model to the researcher, which this site's policy does not allow");
  }
  let noiseMultiplier = 0;
  let dpSgd: RecordDpPlan | null = null;
  if (spec.dp === undefined) {
    if (policy.requireDp) reasons.push('this site requires differential privacy: set dp.epsilon in the job');
  } else {
    const { epsilon, delta } = spec.dp;
    if (delta > policy.budget.delta) {
      reasons.push(
        `job runs at delta ${num(delta)} but this site allows at most ${num(policy.budget.delta)} per job`,
      );
    }
    if (!canAfford(budget, epsilon)) {
      reasons.push(
        `job asks epsilon ${num(epsilon)} but this site has ${num(remaining(budget))} of ${num(budget.epsilonTotal)} left`,
      );
    }
    if (spec.dp.unit === 'record') {
      dpSgd = planFor(spec, input.trainRows, reasons);
      noiseMultiplier = dpSgd?.noiseMultiplier ?? 0;
    } else {
      noiseMultiplier = sigmaFor(epsilon, delta, spec.rounds, reasons);
    }
    if (
      noiseMultiplier > 0 &&
      policy.minNoiseMultiplier !== undefined &&
      noiseMultiplier < policy.minNoiseMultiplier
    ) {
      const over =
        dpSgd === null
          ? `over ${spec.rounds} rounds`
          : `over ${dpSgd.steps} DP-SGD steps at sampling rate ${num(dpSgd.samplingRate, 3)}`;
      reasons.push(
        `job's epsilon ${num(epsilon)} ${over} needs noise multiplier ${num(noiseMultiplier, 3)}, ` +
          `below this site's minimum of ${num(policy.minNoiseMultiplier)}`,
      );
    }
  }
  const awaitingApproval =
    reasons.length === 0 && policy.approval === 'explicit' && !input.approvals.has(jobHash);
  if (awaitingApproval) {
    reasons.push(`waiting for explicit approval: run \`hefl site approve ${jobHash}\` at this site`);
  }
  if (reasons.length > 0) {
    return Object.freeze({
      accept: false,
      reason: reasons.join('; '),
      reasons: Object.freeze(reasons),
      awaitingApproval,
    });
  }
  const dp =
    spec.dp === undefined || spec.dp.unit !== 'site'
      ? null
      : Object.freeze({
          clipNorm: spec.dp.clipNorm,
          noiseMultiplier,
          noiseShares: Math.min(input.sitesExpected, spec.minSites),
        });
  return Object.freeze({
    accept: true,
    epsilonThisJob: spec.dp?.epsilon ?? 0,
    noiseMultiplier,
    unit: spec.dp?.unit ?? null,
    dp,
    dpSgd,
  });
}

/** Job kinds that release sums over the records themselves (not a trained model). */
const STATISTICAL_KINDS: ReadonlySet<string> = new Set(['glm', 'stats']);

/** A statistical analysis at a site holding fewer records than its policy's minimum (the count is not named). */
function minRecordsProblem(
  policy: SitePolicy,
  kind: JobSpec['model']['kind'],
  records: number | undefined,
): string | undefined {
  if (policy.minRecords === undefined || records === undefined) return undefined;
  if (!STATISTICAL_KINDS.has(kind)) return undefined;
  if (records >= policy.minRecords) return undefined;
  return `this site's policy requires at least ${policy.minRecords} records for a ${kind} job, and it holds fewer`;
}

/** This site's DP-SGD plan for a record-level job, or null with a reason when unreachable. */
function planFor(spec: JobSpec, trainRows: number | undefined, reasons: string[]): RecordDpPlan | null {
  const { epsilon, delta, clipNorm } = spec.dp!;
  if (trainRows === undefined) {
    throw new HeflError(
      'invalid_argument',
      'record-level DP needs the site’s training row count (trainRows)',
    );
  }
  try {
    return recordDpPlan({
      epsilon,
      delta,
      clipNorm,
      rows: trainRows,
      local: spec.local,
      rounds: spec.rounds,
    });
  } catch (error) {
    if (!HeflError.is(error, 'invalid_argument')) throw error;
    reasons.push(
      `job's epsilon ${num(epsilon)} over ${spec.rounds} rounds of DP-SGD on this site's ${trainRows} records is too small to reach with any noise`,
    );
    return null;
  }
}

/** sigma for the job's epsilon, or 0 with a reason when the accountant cannot reach it. */
function sigmaFor(epsilon: number, delta: number, rounds: number, reasons: string[]): number {
  try {
    return noiseMultiplierFor({ epsilon, delta, steps: rounds, samplingRate: 1 });
  } catch (error) {
    if (!HeflError.is(error, 'invalid_argument')) throw error;
    reasons.push(`job's epsilon ${num(epsilon)} over ${rounds} rounds is too small to reach with any noise`);
    return 0;
  }
}

function checkCallerInput(input: JobEvaluationInput): void {
  if (input.inputDim !== undefined && !(Number.isSafeInteger(input.inputDim) && input.inputDim >= 1)) {
    throw new HeflError('invalid_argument', `inputDim must be a positive integer, got ${input.inputDim}`);
  }
  if (input.trainRows !== undefined && !(Number.isSafeInteger(input.trainRows) && input.trainRows >= 1)) {
    throw new HeflError('invalid_argument', `trainRows must be a positive integer, got ${input.trainRows}`);
  }
  if (!(Number.isSafeInteger(input.sitesExpected) && input.sitesExpected >= 1)) {
    throw new HeflError(
      'invalid_argument',
      `sitesExpected must be a positive integer, got ${input.sitesExpected}`,
    );
  }
}

/** 4 significant digits without trailing zeros: 1.2, 5, 0.00001, 0.7235. */
function num(value: number, digits = 4): string {
  return String(Number(value.toPrecision(digits)));
}
