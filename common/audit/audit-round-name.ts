/**
 * How the report names a coordinator round: 0 is the encrypted feature statistics, 1..R the
 * training rounds, R+1 the final evaluation (common/job/job-spec.ts `totalRounds`). Without R
 * (a job whose `job.submitted` is not in the log) only the number is known.
 */
export function auditRoundName(round: number, trainingRounds: number | undefined): string {
  if (trainingRounds === undefined) return `Round ${round}`;
  if (round === 0) return 'Round 0 (feature statistics)';
  if (round > trainingRounds) return `Round ${round} (final evaluation)`;
  return `Round ${round}/${trainingRounds} (training)`;
}
