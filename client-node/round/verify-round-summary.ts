import { bytesEqual } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { openMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { RoundSummary } from '../../proto/gen/hefl/v1/messages.js';

/**
 * Opens the coordinator's signed round summary: the signer must be the coordinator's
 * pinned key and the summary must name this job. Throws `integrity` otherwise.
 */
export function verifyRoundSummary(
  envelope: SignedEnvelope,
  coordinatorSigningKey: Uint8Array,
  jobId: string,
): RoundSummary {
  const { message: summary } = openMessage(SigningContext.roundSummary, RoundSummary, envelope, (pk) =>
    bytesEqual(pk, coordinatorSigningKey),
  );
  if (summary.jobId !== jobId) throw new HeflError('integrity', 'round summary names another job');
  return summary;
}
