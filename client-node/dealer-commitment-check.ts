import { bytesEqual } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import { openMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { KeyBundle } from '../proto/gen/hefl/v1/messages.js';
import type { FederationView } from './site-keys.js';

/**
 * A site that got the job's key from another holder (it joined late, or restarted and lost
 * it) checks it against the dealer's signed bundle, which the coordinator relays with the
 * holder's copy: the dealer's signature (a site of this site's manifest) covers a commitment
 * to the key every other site received. A holder handing over another key is named:
 * `integrity` error "key commitment mismatch". The dealer and the coordinator together
 * could still pass off a wrong key (the coordinator chooses which dealer bundle to relay);
 * the sites' signed model hashes would then differ after the first round.
 */
export function checkDealerCommitment(
  federation: FederationView,
  job: { jobId: string; profileId: string },
  received: { holder: string; keyCommitment: Uint8Array },
  dealerEnvelope: SignedEnvelope,
): { dealer: string } {
  const { message: bundle, signer } = openMessage(
    SigningContext.keyBundle,
    KeyBundle,
    dealerEnvelope,
    (pk) => federation.memberBySigningKey(pk)?.role === 'site',
  );
  const dealer = federation.memberBySigningKey(signer)!.id;
  if (dealer !== bundle.dealerSiteId || bundle.jobId !== job.jobId || bundle.profileId !== job.profileId)
    throw new HeflError('integrity', "the dealer's key bundle relayed with the key is not this job's");
  if (bundle.keyCommitment.length === 0)
    throw new HeflError('integrity', `the dealer ${dealer}'s key bundle carries no key commitment`);
  if (!bytesEqual(bundle.keyCommitment, received.keyCommitment))
    throw new HeflError(
      'integrity',
      `key commitment mismatch: the job key handed over by ${received.holder} is not the key dealer ${dealer} committed to`,
    );
  return { dealer };
}
