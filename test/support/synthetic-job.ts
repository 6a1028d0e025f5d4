import {
  SYNTHETIC_CATEGORICAL,
  SYNTHETIC_COLUMNS,
  SYNTHETIC_LABEL,
} from '../../client-node/data/synthetic-hospitals.js';
import { type RoundLengths, roundLengthsFor } from '../../common/fl/round-lengths.js';
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

/**
 * The round lengths an honest site states for a job on the synthetic hospitals that does not
 * list its features (every column but the label: 8 numeric, 2 hashed categorical).
 */
export function syntheticRoundLengths(job: ParsedJob): RoundLengths {
  const columns = SYNTHETIC_COLUMNS.filter((c) => c !== SYNTHETIC_LABEL).map((c) => ({
    kind: (SYNTHETIC_CATEGORICAL as readonly string[]).includes(c)
      ? ('categorical' as const)
      : ('numeric' as const),
  }));
  return roundLengthsFor(job.spec.model, columns);
}
