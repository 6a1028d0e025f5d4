import type { JobSpec } from '../../common/job/job-spec.js';
import { parameterCount } from '../../common/job/model-spec.js';
import type { SitePolicy } from './site-policy.js';

/**
 * Why the job's model is too big for this site, or undefined if it fits (or the policy sets
 * no limit). `inputDim` undefined checks the smallest model the spec can be (width 1), so a
 * decline is certain; call again with the exact width once it is known (after round 0's
 * global feature statistics) and stop taking part if a reason comes back.
 */
export function modelSizeProblem(
  policy: SitePolicy,
  spec: Pick<JobSpec, 'model'>,
  inputDim?: number,
): string | undefined {
  if (policy.maxParameters === undefined) return undefined;
  const parameters = parameterCount(spec.model, inputDim ?? 1);
  if (parameters <= policy.maxParameters) return undefined;
  const atLeast = inputDim === undefined ? 'at least ' : '';
  return `model has ${atLeast}${count(parameters)} parameters but this site allows at most ${count(policy.maxParameters)}`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
