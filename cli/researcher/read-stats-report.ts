import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { openStatsReport, type StatsReport } from '../../common/protocol/sealed-stats-report.js';
import { openMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { RoundReport } from '../../proto/gen/hefl/v1/messages.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';

/**
 * A stats job's tables sealed to the researcher (the latest round's); null for other jobs or
 * before round 1 closed. `integrity` if the sites of a round sealed different tables.
 */
export function readStatsReport(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
): StatsReport | null {
  let latest: StatsReport | null = null;
  for (const round of [...status.roundStatus].sort((a, b) => a.round - b.round)) {
    if (round.round === 0) continue;
    let agreed: string | undefined;
    for (const envelope of round.reports) {
      const { message } = openMessage(SigningContext.roundReport, RoundReport, envelope, isSite);
      if (message.sealedMetrics.length === 0) continue;
      const report = openStatsReport(
        message.sealedMetricsNonce,
        message.sealedMetrics,
        researcherSealingSecret,
      );
      if (!report) return null;
      const text = JSON.stringify(report);
      if (agreed !== undefined && agreed !== text)
        throw new HeflError(
          'integrity',
          `round ${round.round}: sites disagree on the stats tables (site key ${keyId(envelope.signerPublicKey)})`,
        );
      agreed = text;
      latest = report;
    }
  }
  return latest;
}
