/*
 * File names inside a coordinator directory and a member (site, researcher, auditor)
 * directory. Private keys are 0600 in a 0700 directory; everything else is public.
 */

/** Files `initFederation` creates under the coordinator's directory. */
export const COORDINATOR_FILES = Object.freeze({
  /** Ed25519 key pair that signs the manifest and receipts (JSON, hex, 0600). */
  signingKey: 'coordinator-signing-key.json',
  /** Federation CA private key (PKCS#8 PEM, 0600). */
  caKey: 'ca-key.pem',
  caCertificate: 'ca-cert.pem',
  /** Coordinator TLS server key (PKCS#8 PEM, 0600) and certificate. */
  tlsKey: 'tls-key.pem',
  tlsCertificate: 'tls-cert.pem',
  /** The signed federation manifest. */
  manifest: 'manifest.json',
});

/** Files `createEnrolmentRequest` and `installAdmission` create under a member's directory. */
export const MEMBER_FILES = Object.freeze({
  /** `{ id, role }` chosen at enrolment. */
  member: 'member.json',
  /** Ed25519 key pair (JSON, hex, 0600). */
  signingKey: 'signing-key.json',
  /** X25519 key pair (JSON, hex, 0600). */
  sealingKey: 'sealing-key.json',
  /** TLS client key (PKCS#8 PEM, 0600). */
  tlsKey: 'tls-key.pem',
  /** The public request to hand to the coordinator operator. */
  enrolmentRequest: 'enrolment-request.json',
  /** Written by `installAdmission`. */
  tlsCertificate: 'tls-cert.pem',
  caCertificate: 'ca-cert.pem',
  manifest: 'manifest.json',
  /** The pinned coordinator identity: `{ federationId, signingPublicKey, tlsCertificateFingerprint }`. */
  coordinator: 'coordinator.json',
  /** `hefl site renew`: the new TLS key (0600) waiting for its certificate, and the signed request. */
  renewalTlsKey: 'renewal-tls-key.pem',
  renewalRequest: 'renewal-request.json',
});
