import { bytesEqual } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import type { QuantizerConfig } from '../common/he/fixed-point-quantizer.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import { openMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { KeyBundle } from '../proto/gen/hefl/v1/messages.js';
import { receiveKeys } from './key-ceremony.js';
import type { SiteAudit } from './site-audit.js';
import type { FederationView, SiteKeys } from './site-keys.js';

/**
 * Opens the job's key from `envelope` (the dealer's bundle, or another holder's copy) and,
 * when the coordinator relayed the dealer's own bundle with it, checks the key against the
 * dealer's commitment. A mismatch is recorded in this site's audit log
 * (`site.key-commitment-mismatch`, naming the holder) and thrown; the key is dropped.
 */
export async function receiveCommittedKey(
  deps: { keys: SiteKeys; federation: FederationView; audit: SiteAudit },
  job: { jobId: string; profileId: string; quantizer: QuantizerConfig },
  envelope: SignedEnvelope,
  dealerBundle: SignedEnvelope | undefined,
): Promise<{ cipher: SiteVectorCipher; holder: string }> {
  const {
    cipher,
    dealer: holder,
    keyCommitment,
  } = await receiveKeys(deps.keys, deps.federation, envelope, job);
  try {
    if (dealerBundle) checkDealerCommitment(deps.federation, job, { holder, keyCommitment }, dealerBundle);
  } catch (error) {
    cipher.delete();
    deps.audit.record('site.key-commitment-mismatch', {
      jobId: job.jobId,
      holder,
      reason: (error as Error).message.slice(0, 300),
    });
    throw error;
  }
  return { cipher, holder };
}

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
