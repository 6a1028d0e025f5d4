import { HeflError } from '../errors/index.js';
import { findMemberByFingerprint } from './federation-manifest.js';
import type { FederationManifest, FederationMember, MemberRole } from './manifest-schema.js';
import { type CallWithAuthContext, peerCertificateFingerprint } from './tls-credentials.js';

/**
 * Inside a coordinator handler: the member whose TLS client certificate is on this call,
 * checked against the current manifest. The TLS layer has already verified the CA; this
 * adds what the CA cannot know: the certificate must be the one recorded at admission, not
 * revoked, and of an allowed role. Throws `unauthenticated` (no certificate, or one the
 * manifest does not know) or `permission_denied` (revoked, or wrong role); the message names
 * the member or fingerprint for the operator's log, peers see only the code's public message.
 */
export function requireAdmittedPeer(
  call: CallWithAuthContext,
  manifest: FederationManifest,
  allowedRoles?: readonly MemberRole[],
): FederationMember {
  const fingerprint = peerCertificateFingerprint(call);
  if (fingerprint === undefined)
    throw new HeflError('unauthenticated', 'call carries no TLS client certificate');
  const member = findMemberByFingerprint(manifest, fingerprint);
  if (member === undefined) {
    throw new HeflError(
      'unauthenticated',
      `TLS client certificate ${fingerprint.slice(0, 16)}… is not in the manifest`,
    );
  }
  if (member.revokedAt !== undefined) {
    throw new HeflError('permission_denied', `member "${member.id}" was revoked at ${member.revokedAt}`);
  }
  if (allowedRoles !== undefined && !allowedRoles.includes(member.role)) {
    throw new HeflError(
      'permission_denied',
      `member "${member.id}" is a ${member.role}; this call needs ${allowedRoles.join(' or ')}`,
    );
  }
  return member;
}
