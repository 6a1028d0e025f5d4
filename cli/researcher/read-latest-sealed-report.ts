import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { openMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { RoundReport } from '../../proto/gen/hefl/v1/messages.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';

/**
 * The latest report that the sites of a job sealed to the researcher in their round reports
 * (rounds 1 on; round 0 carries the data report): `open` reads one sealed report, null when
 * it is not of this kind. null when there is none yet or the job seals another kind;
 * `integrity` if the sites of one round sealed different reports (`what` names them).
 */
export function readLatestSealedReport<T>(
  status: JobStatus,
  researcherSealingSecret: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
  open: (nonce: Uint8Array, sealed: Uint8Array, secret: Uint8Array) => T | null,
  what: string,
): T | null {
  let latest: T | null = null;
  for (const round of [...status.roundStatus].sort((a, b) => a.round - b.round)) {
    if (round.round === 0) continue;
    let agreed: string | undefined;
    for (const envelope of round.reports) {
      const { message } = openMessage(SigningContext.roundReport, RoundReport, envelope, isSite);
      if (message.sealedMetrics.length === 0) continue;
      const report = open(message.sealedMetricsNonce, message.sealedMetrics, researcherSealingSecret);
      if (!report) return null;
      const text = JSON.stringify(report);
      if (agreed !== undefined && agreed !== text)
        throw new HeflError(
          'integrity',
          `round ${round.round}: sites disagree on the ${what} (site key ${keyId(envelope.signerPublicKey)})`,
        );
      agreed = text;
      latest = report;
    }
  }
  return latest;
}
