import { randomBytes } from 'node:crypto';
import { bytesEqual, openSealed, sealTo } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import { generateSiteCipher, siteCipherFromKey } from '../common/he/create-cipher.js';
import type { QuantizerConfig } from '../common/he/fixed-point-quantizer.js';
import { jobKeyCommitment } from '../common/he/key-commitment.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import { openMessage, signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { JobDecision, KeyBundle } from '../proto/gen/hefl/v1/messages.js';
import type { FederationView, SiteKeys } from './site-keys.js';

/**
 * The dealer's step: fresh HE keys for this job, the secret key sealed (nacl.box) to
 * each accepting site's X25519 key, the bundle signed. The coordinator relays the
 * bundle but cannot open any sealed copy. A new job always means new keys.
 */
export async function dealKeys(
  keys: SiteKeys,
  job: { jobId: string; profileId: string; quantizer: QuantizerConfig },
  sites: readonly { siteId: string; sealingPublicKey: Uint8Array }[],
): Promise<{ cipher: SiteVectorCipher; bundle: SignedEnvelope }> {
  const cipher = await generateSiteCipher(job.profileId, job.quantizer);
  try {
    return { cipher, bundle: sealKeyBundle(keys, cipher, job, sites) };
  } catch (error) {
    cipher.delete();
    throw error;
  }
}

/**
 * Seals the job's HE secret key (held in `cipher`) to each of `sites` and signs the
 * bundle as this site. The dealer does this once for the accepting sites; a key holder
 * does it again for a site that joins the running job later.
 */
export function sealKeyBundle(
  keys: SiteKeys,
  cipher: SiteVectorCipher,
  job: { jobId: string; profileId: string },
  sites: readonly { siteId: string; sealingPublicKey: Uint8Array }[],
): SignedEnvelope {
  const secret = cipher.exportSecretKey();
  try {
    const sealed = sites.map(({ siteId, sealingPublicKey }) => {
      if (sealingPublicKey.length !== 32)
        throw new HeflError('invalid_argument', `site ${siteId} has no sealing key`);
      const box = sealTo(sealingPublicKey, keys.sealingSecretKey, secret);
      return { siteId, nonce: Buffer.from(box.nonce), ciphertext: Buffer.from(box.ciphertext) };
    });
    return signMessage(
      SigningContext.keyBundle,
      KeyBundle,
      {
        jobId: job.jobId,
        dealerSiteId: keys.siteId,
        profileId: job.profileId,
        dealerSealingPublicKey: Buffer.from(keys.sealingPublicKey),
        sealed,
        nonce: randomBytes(16),
        keyCommitment: Buffer.from(jobKeyCommitment(job.jobId, secret)),
      },
      keys.signingSecretKey,
    );
  } finally {
    secret.fill(0);
  }
}

/**
 * A key holder's check before sealing the job's key to a site that asks to join: the
 * request carries that site's signed acceptance of exactly this job, and the sealing key
 * comes from this site's own copy of the signed manifest (a current site member), never
 * from the coordinator.
 */
export function checkJoinRequest(
  federation: FederationView,
  request: { siteId: string; decision: SignedEnvelope },
  job: { jobId: string; jobHash: string },
): { siteId: string; sealingPublicKey: Uint8Array } {
  const { message: decision, signer } = openMessage(
    SigningContext.jobDecision,
    JobDecision,
    request.decision,
    (pk) => federation.memberBySigningKey(pk)?.role === 'site',
  );
  const member = federation.memberBySigningKey(signer)!;
  if (
    member.id !== request.siteId ||
    decision.siteId !== member.id ||
    decision.jobId !== job.jobId ||
    decision.jobHash !== job.jobHash ||
    !decision.accept
  ) {
    throw new HeflError(
      'integrity',
      `the join request for ${request.siteId} is not its acceptance of this job`,
    );
  }
  const sealingPublicKey = federation.siteSealingKey(member.id);
  if (!sealingPublicKey) throw new HeflError('permission_denied', `${member.id} is not a current site`);
  return { siteId: member.id, sealingPublicKey };
}

/**
 * A site's step: verify the dealer's signature (a site of the federation), then open
 * the copy sealed to this site. A tampered or foreign bundle is 'unauthenticated' or
 * 'integrity' — the site stops this job rather than guess.
 */
export async function receiveKeys(
  keys: SiteKeys,
  federation: FederationView,
  envelope: SignedEnvelope,
  job: { jobId: string; profileId: string; quantizer: QuantizerConfig },
): Promise<{ cipher: SiteVectorCipher; dealer: string; keyCommitment: Uint8Array }> {
  const { message: bundle, signer } = openMessage(
    SigningContext.keyBundle,
    KeyBundle,
    envelope,
    (pk) => federation.memberBySigningKey(pk)?.role === 'site',
  );
  const dealer = federation.memberBySigningKey(signer)!;
  if (dealer.id !== bundle.dealerSiteId || bundle.jobId !== job.jobId || bundle.profileId !== job.profileId) {
    throw new HeflError('integrity', 'key bundle does not belong to this job or was not made by its signer');
  }
  const mine = bundle.sealed.find((s) => s.siteId === keys.siteId);
  if (!mine) throw new HeflError('integrity', `key bundle has no key sealed to ${keys.siteId}`);
  const secret = openSealed(
    { nonce: mine.nonce, ciphertext: mine.ciphertext },
    bundle.dealerSealingPublicKey,
    keys.sealingSecretKey,
  );
  try {
    if (dealer.id === keys.siteId && !bytesEqual(bundle.dealerSealingPublicKey, keys.sealingPublicKey)) {
      throw new HeflError('integrity', 'key bundle claims this site as dealer with another key');
    }
    const keyCommitment = jobKeyCommitment(job.jobId, secret);
    if (bundle.keyCommitment.length > 0 && !bytesEqual(bundle.keyCommitment, keyCommitment))
      throw new HeflError(
        'integrity',
        `key commitment mismatch: the key ${dealer.id} sealed to this site is not the one its bundle commits to`,
      );
    return {
      cipher: await siteCipherFromKey(job.profileId, secret, job.quantizer),
      dealer: dealer.id,
      keyCommitment,
    };
  } finally {
    secret.fill(0);
  }
}
