import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { type DataReport, openDataReport } from '../../common/protocol/sealed-data-report.js';
import { type GlmReport, openGlmReport } from '../../common/protocol/sealed-glm-report.js';
import { type AggregateMetrics, openMetrics } from '../../common/protocol/sealed-metrics.js';
import { openStatsReport } from '../../common/protocol/sealed-stats-report.js';
import { openMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { RoundReport } from '../../proto/gen/hefl/v1/messages.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import { readLatestSealedReport } from './read-latest-sealed-report.js';

export interface RoundOutcome {
  readonly round: number;
  readonly participants: string[];
  readonly absent: { siteId: string; reason: string }[];
  readonly seconds: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Metrics of the model produced by this round (opened by the researcher), if reported yet. */
  readonly metrics: AggregateMetrics | undefined;
  readonly modelHash: string | undefined;
}

/**
 * Reads a job's status as the researcher: verifies each site report's signature,
 * opens the metrics sealed to the researcher and checks every site reported the same
 * metrics and model hash. Training round r's metrics arrive with round r+1's reports.
 */
export function readJobOutcome(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
): RoundOutcome[] {
  const metricsByModelRound = new Map<number, AggregateMetrics>();
  const hashByRound = new Map<number, string>();
  for (const round of status.roundStatus) {
    for (const envelope of round.reports) {
      const { message } = openMessage(SigningContext.roundReport, RoundReport, envelope, isSite);
      const known = hashByRound.get(round.round);
      if (known && known !== message.modelHash)
        throw new HeflError('integrity', `round ${round.round}: sites reported different models`);
      hashByRound.set(round.round, message.modelHash);
      // Round 0 carries the sealed data report (readDataReport), not metrics.
      if (message.sealedMetrics.length === 0 || round.round === 0) continue;
      // GLM jobs seal their iteration reports instead (readGlmReport).
      if (openGlmReport(message.sealedMetricsNonce, message.sealedMetrics, researcherSealingSecret)) continue;
      // Stats jobs seal their tables (read-stats-report.ts).
      if (openStatsReport(message.sealedMetricsNonce, message.sealedMetrics, researcherSealingSecret))
        continue;
      const metrics = openMetrics(message.sealedMetricsNonce, message.sealedMetrics, researcherSealingSecret);
      const seen = metricsByModelRound.get(metrics.modelRound);
      if (seen && (seen.accuracy !== metrics.accuracy || seen.examples !== metrics.examples)) {
        throw new HeflError(
          'integrity',
          `sites disagree on the metrics of round ${metrics.modelRound} (site key ${keyId(envelope.signerPublicKey)})`,
        );
      }
      metricsByModelRound.set(metrics.modelRound, metrics);
    }
  }
  const training = status.roundStatus.filter((r) => r.round >= 1 && r.round <= status.rounds);
  return training.map((r) => ({
    round: r.round,
    participants: r.participants,
    absent: r.absent,
    seconds: r.seconds,
    bytesUp: r.bytesUp,
    bytesDown: r.bytesDown,
    metrics: metricsByModelRound.get(r.round),
    modelHash: hashByRound.get(r.round),
  }));
}

/** Metrics of the final model (evaluated in the last, evaluation-only round). */
export function finalMetrics(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (k: Uint8Array) => boolean,
): AggregateMetrics | undefined {
  const outcome = readJobOutcome({ ...status, rounds: status.rounds }, researcherSealingSecret, isSite);
  return outcome.at(-1)?.metrics;
}

/**
 * The round-0 data report sealed to the researcher (declared features only): totals over all
 * sites of each declared code and of values outside the schema. Null when the job declares
 * no features or round 0 has not closed. `integrity` if sites sent different reports.
 */
export function readDataReport(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
): DataReport | null {
  let report: DataReport | null = null;
  for (const envelope of status.roundStatus.find((r) => r.round === 0)?.reports ?? []) {
    const { message } = openMessage(SigningContext.roundReport, RoundReport, envelope, isSite);
    if (message.sealedMetrics.length === 0) continue;
    const opened = openDataReport(message.sealedMetricsNonce, message.sealedMetrics, researcherSealingSecret);
    if (report && JSON.stringify(report) !== JSON.stringify(opened))
      throw new HeflError(
        'integrity',
        `sites disagree on the data report (site key ${keyId(envelope.signerPublicKey)})`,
      );
    report = opened;
  }
  return report;
}

/**
 * A GLM job's latest iteration report sealed to the researcher (the regression table once
 * converged, or why it cannot be fitted); null for other jobs or before round 1 closed.
 * `integrity` if the sites of a round sealed different reports.
 */
export function readGlmReport(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
): GlmReport | null {
  return readLatestSealedReport(status, researcherSealingSecret, isSite, openGlmReport, 'GLM report');
}
