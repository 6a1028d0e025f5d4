import { HeflError } from '../../common/errors/index.js';
import type { CallWithAuthContext } from '../../common/identity/index.js';
import type { MessageCodec } from '../../common/protocol/signed-message.js';
import type { SigningContextName } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { Member } from '../members/member-directory.js';
import type { RequestGuard } from './request-guard.js';

/**
 * Opens a message a site signed and checks that the site it names is its signer: a site
 * never speaks for another. The guard checks first (admitted, unrevoked signer with the
 * site role, signature verified before decoding, TLS peer = signer); a message naming
 * another site is `permission_denied` — "<what> names another <as>" inside, "<as> id does
 * not match the signing key" to the peer.
 */
export function openSiteMessage<T>(
  guard: Pick<RequestGuard, 'open'>,
  context: SigningContextName,
  codec: MessageCodec<T>,
  envelope: SignedEnvelope | undefined,
  call: CallWithAuthContext | undefined,
  /** The site the message says it comes from. */
  namedSite: (message: T) => string,
  /** What the message is, in the error: 'decision', 'report', ... */
  what: string,
  /** The role the named site has in the message ('dealer' for a key bundle). */
  as: 'site' | 'dealer' = 'site',
): { message: T; member: Member } {
  const opened = guard.open(context, codec, envelope, 'site', call);
  if (namedSite(opened.message) !== opened.member.id)
    throw new HeflError('permission_denied', `${what} names another ${as}`, {
      publicDetail: `${as} id does not match the signing key`,
    });
  return opened;
}
