import { type ParsedJob, parseJobSpec } from '../../common/job/job-spec.js';

/**
 * A job on the built-in synthetic hospitals (label `event`, two categorical columns;
 * logistic regression unless `settings` names another model): the small real job the
 * integration tests run. `settings` adds or overrides job-spec fields.
 */
export function syntheticJob(settings: Record<string, unknown>): ParsedJob {
  return parseJobSpec({
    model: { kind: 'logreg' },
    data: { label: 'event', categorical: ['chest_pain', 'ecg'] },
    recruitSeconds: 10,
    ...settings,
  });
}
