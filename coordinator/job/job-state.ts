import { HeflError } from '../../common/errors/index.js';

/**
 * The states of one job at the coordinator, in the order a job goes through them:
 * recruiting (offered to sites), keying (the dealer seals the HE key), running (rounds),
 * then one final state.
 */
export const JOB_STATES = ['recruiting', 'keying', 'running', 'completed', 'failed', 'cancelled'] as const;

export type JobState = (typeof JOB_STATES)[number];

/** The states a job never leaves: its timers are stopped and it takes no more updates. */
export type FinalJobState = Extract<JobState, 'completed' | 'failed' | 'cancelled'>;

export const FINAL_JOB_STATES: readonly FinalJobState[] = ['completed', 'failed', 'cancelled'];

export function isFinalJobState(state: JobState): state is FinalJobState {
  return (FINAL_JOB_STATES as readonly string[]).includes(state);
}

/**
 * A job state read back from the store. Anything else is damage (or a newer coordinator's
 * state): an `integrity` error naming the text, so the job is refused rather than resumed
 * in a state no code path expects.
 */
export function parseJobState(text: string): JobState {
  if ((JOB_STATES as readonly string[]).includes(text)) return text as JobState;
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  throw new HeflError(
    'integrity',
    `unknown job state ${JSON.stringify(shown)} (expected one of ${JOB_STATES.join(', ')})`,
  );
}
