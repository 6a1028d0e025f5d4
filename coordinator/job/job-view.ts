import type { RoundLengths } from '../../common/fl/round-lengths.js';
import type { JobSpec, ParsedJob } from '../../common/job/job-spec.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { isFinalJobState, type JobState } from './job-state.js';
import type { RoundRecord } from './round-record.js';

/**
 * What the parts of one job (SiteMembership, RoundLifecycle, RoundAggregation,
 * ModelReleases) read of it. Each part takes the slice it needs (a Pick of this), never
 * the JobController: the parts are built before the controller is complete, and a view
 * only reads on demand, so nothing reads a half-built job.
 */
export interface JobView {
  readonly id: string;
  readonly job: ParsedJob;
  readonly spec: JobSpec;
  /** The researcher who submitted the job (the only one its model is released to). */
  readonly submittedBy: string;
  /** The researcher's signed submission, relayed with every offer. */
  readonly submission: SignedEnvelope;
  /** The job's state now (it changes while the parts hold the view). */
  readonly state: JobState;
  /** The sites taking part, sorted (empty while recruiting). */
  readonly accepted: readonly string[];
  /** The rounds so far, in order (a round's number is its index). */
  readonly rounds: readonly RoundRecord[];
  readonly currentRound: RoundRecord | undefined;
  /** The layout fixed before round 0 (fix-round-layout); every upload must have exactly its sizes. */
  readonly roundLengths: RoundLengths | undefined;
  isFinished(): boolean;
}

/** The fixed facts of a job: who submitted what. */
export type JobIdentity = Pick<JobView, 'id' | 'job' | 'submittedBy' | 'submission'>;

/** Builds a job's view from its fixed facts and readers of what changes. */
export function jobView(
  identity: JobIdentity,
  live: {
    state(): JobState;
    accepted(): readonly string[];
    rounds(): readonly RoundRecord[];
    roundLengths(): RoundLengths | undefined;
  },
): JobView {
  return {
    id: identity.id,
    job: identity.job,
    spec: identity.job.spec,
    submittedBy: identity.submittedBy,
    submission: identity.submission,
    get state() {
      return live.state();
    },
    get accepted() {
      return live.accepted();
    },
    get rounds() {
      return live.rounds();
    },
    get currentRound() {
      return live.rounds().at(-1);
    },
    get roundLengths() {
      return live.roundLengths();
    },
    isFinished: () => isFinalJobState(live.state()),
  };
}
