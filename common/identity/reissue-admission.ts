import { HeflError } from '../errors/index.js';
import type { CertificateAuthority } from './certificate-authority.js';
import { certificateFingerprint } from './certificate-fingerprint.js';
import { admissionFor } from './certificate-renewal.js';
import { verifyEnrolmentRequest } from './enrolment.js';
import type { Admission } from './enrolment-schema.js';
import { replaceMemberCredentials, type SignedManifest } from './federation-manifest.js';
import type { FederationManifest } from './manifest-schema.js';

/**
 * Coordinator operator (`hefl federation reissue MEMBER`): a member lost its folder (keys
 * and admission). It enrols again under the same id on its own machine (`hefl site
 * enroll`, new keys); this checks that request's self-signature, issues a certificate
 * for its CSR and puts all three new keys in the member's manifest entry. The old signing
 * key, sealing key and certificate leave the manifest, so the coordinator refuses them
 * from its next manifest reload: whoever holds the lost folder is locked out. Id, role
 * and admission time stay. `not_found` for an unknown member, `failed_precondition` for a
 * revoked one, `invalid_argument` if the request names another id or role.
 */
export async function reissueAdmission(
  requestFile: unknown,
  memberId: string,
  ca: CertificateAuthority,
  manifest: FederationManifest,
  coordinatorSecretKey: Uint8Array,
  options: { readonly now?: Date; readonly validityDays?: number } = {},
): Promise<{ readonly signedManifest: SignedManifest; readonly admission: Admission }> {
  const now = options.now ?? new Date();
  const request = verifyEnrolmentRequest(requestFile);
  const member = manifest.members.find((m) => m.id === memberId);
  if (member === undefined) throw new HeflError('not_found', `no member "${memberId}" in the manifest`);
  if (request.id !== memberId || request.role !== member.role) {
    throw new HeflError(
      'invalid_argument',
      `the enrolment request is for ${request.role} "${request.id}", not ${member.role} "${memberId}"`,
    );
  }
  if (request.signingPublicKey === member.signingPublicKey) {
    throw new HeflError(
      'invalid_argument',
      `the request carries "${memberId}"'s current signing key: a reissue needs a new enrolment (hefl site enroll in an empty folder); to renew only the certificate use hefl federation renew`,
    );
  }
  const certificate = await ca.issueClientCertificate({ csrPem: request.csr }, memberId, {
    now,
    ...(options.validityDays !== undefined ? { validityDays: options.validityDays } : {}),
  });
  const signedManifest = replaceMemberCredentials(
    manifest,
    memberId,
    {
      signingPublicKey: request.signingPublicKey,
      sealingPublicKey: request.sealingPublicKey,
      tlsCertificateFingerprint: certificateFingerprint(certificate),
    },
    coordinatorSecretKey,
    now,
  );
  return { signedManifest, admission: admissionFor(memberId, certificate, ca, signedManifest) };
}
