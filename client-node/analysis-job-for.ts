import type { ModelSpec } from '../common/job/model-spec.js';
import type { AnalysisJob } from './analysis-job.js';
import { GlmJob } from './glm/glm-job.js';
import { StatsJob } from './stats/stats-job.js';

/** The exact-sums side of a `glm` or `stats` job; undefined for a training job. */
export function analysisJobFor(
  model: ModelSpec,
  /** Rounds after round 0 (a GLM's iteration limit). */
  laterRounds: number,
  /** This site's policy minimum cell size (stats jobs suppress smaller local counts). */
  minCellSize: number,
): AnalysisJob | undefined {
  if (model.kind === 'glm') return new GlmJob(model, laterRounds);
  if (model.kind === 'stats') return new StatsJob(model, minCellSize);
  return undefined;
}
