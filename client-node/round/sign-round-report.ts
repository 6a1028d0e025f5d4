import { randomBytes } from 'node:crypto';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { RoundReport } from '../../proto/gen/hefl/v1/messages.js';
import type { SiteKeys } from '../site-keys.js';

/**
 * This site's signed answer to a closed round (a fresh nonce inside the signed bytes):
 * either the hash of the model it computed, with the sealed metrics and its own log head,
 * or that the aggregate is invalid (`aggregateInvalid`, with a reason cut to 300
 * characters), possibly for blame probe `probe`.
 */
export function signRoundReport(
  keys: Pick<SiteKeys, 'siteId' | 'signingSecretKey'>,
  report: {
    readonly jobId: string;
    readonly round: number;
    readonly attempt: number;
  } & (
    | {
        readonly modelHash: string;
        readonly sealed: { nonce: Uint8Array; sealed: Uint8Array } | undefined;
        readonly siteAuditHeadJson: Uint8Array;
      }
    | { readonly aggregateInvalid: boolean; readonly invalidReason: string; readonly probe?: number }
  ),
): SignedEnvelope {
  const { jobId, round, attempt } = report;
  const common = { jobId, round, siteId: keys.siteId };
  const fields =
    'modelHash' in report
      ? {
          ...common,
          modelHash: report.modelHash,
          sealedMetricsNonce: report.sealed ? Buffer.from(report.sealed.nonce) : Buffer.alloc(0),
          sealedMetrics: report.sealed ? Buffer.from(report.sealed.sealed) : Buffer.alloc(0),
          nonce: randomBytes(16),
          siteAuditHeadJson: Buffer.from(report.siteAuditHeadJson),
          attempt,
        }
      : {
          ...common,
          modelHash: '',
          nonce: randomBytes(16),
          attempt,
          probe: report.probe ?? 0,
          aggregateInvalid: report.aggregateInvalid,
          invalidReason: report.invalidReason.slice(0, 300),
        };
  return signMessage(SigningContext.roundReport, RoundReport, fields, keys.signingSecretKey);
}
