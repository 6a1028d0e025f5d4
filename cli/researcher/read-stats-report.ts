import { openStatsReport, type StatsReport } from '../../common/protocol/sealed-stats-report.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import { readLatestSealedReport } from './read-latest-sealed-report.js';

/**
 * A stats job's tables sealed to the researcher (the latest round's); null for other jobs or
 * before round 1 closed. `integrity` if the sites of a round sealed different tables.
 */
export function readStatsReport(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
): StatsReport | null {
  return readLatestSealedReport(status, researcherSealingSecret, isSite, openStatsReport, 'stats tables');
}
