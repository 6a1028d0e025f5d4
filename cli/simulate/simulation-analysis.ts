import type { GlmReport } from '../../common/protocol/sealed-glm-report.js';
import type { StatsReport } from '../../common/protocol/sealed-stats-report.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import { readGlmReport } from '../researcher/job-outcome.js';
import { readStatsReport } from '../researcher/read-stats-report.js';

/** What a simulated glm or stats job gave the researcher (no model: a table). */
export interface SimulationAnalysis {
  readonly glm?: GlmReport;
  readonly stats?: StatsReport;
}

/** The sealed GLM table or stats tables of a finished simulated job, opened as its researcher. */
export function simulationAnalysis(
  status: JobStatus,
  sealingSecret: Uint8Array,
  isSite: (pk: Uint8Array) => boolean,
): SimulationAnalysis {
  const glm = readGlmReport(status, sealingSecret, isSite);
  const stats = readStatsReport(status, sealingSecret, isSite);
  return { ...(glm ? { glm } : {}), ...(stats ? { stats } : {}) };
}
