import { type ParsedJob, parseJobSpec } from '../../common/job/job-spec.js';

/**
 * A logistic-regression job on the built-in synthetic hospitals (label `event`, two
 * categorical columns): the small real job most integration tests run. `settings` adds or
 * overrides job-spec fields (rounds, minSites, deadlines, seed).
 */
export function syntheticLogregJob(settings: Record<string, unknown>): ParsedJob {
  return parseJobSpec({
    model: { kind: 'logreg' },
    data: { label: 'event', categorical: ['chest_pain', 'ecg'] },
    recruitSeconds: 10,
    ...settings,
  });
}
