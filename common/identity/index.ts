export { canonicalJson } from '../encoding/canonical-json.js';
export { requireAdmittedPeer } from './admitted-peer.js';
export {
  CertificateAuthority,
  type ClientCertificateOptions,
  type LeafKeySource,
  type ServerCertificateOptions,
} from './certificate-authority.js';
export { certificateFingerprint, fingerprintDer } from './certificate-fingerprint.js';
export {
  admissionFor,
  createRenewalRequest,
  installRenewal,
  RENEWAL_CONTEXT,
  type RenewalRequest,
  renewMemberCertificate,
} from './certificate-renewal.js';
export {
  type CoordinatorIdentity,
  type InitFederationOptions,
  initFederation,
  loadCoordinatorIdentity,
  saveCoordinatorManifest,
} from './coordinator-identity.js';
export {
  admitEnrolment,
  createEnrolmentRequest,
  type EnrolmentOptions,
  installAdmission,
  verifyEnrolmentRequest,
} from './enrolment.js';
export {
  type Admission,
  ENROLMENT_CONTEXT,
  type EnrolmentRequest,
  type SignedEnrolmentRequest,
} from './enrolment-schema.js';
export {
  activeMembers,
  admitMember,
  createManifest,
  findMemberByFingerprint,
  findMemberBySigningKey,
  MANIFEST_CONTEXT,
  type ManifestInit,
  type MemberAdmissionRequest,
  type MemberCredentials,
  replaceMemberCredentials,
  revokeMember,
  type SignedManifest,
  verifySignedManifest,
} from './federation-manifest.js';
export { COORDINATOR_FILES, MEMBER_FILES } from './identity-layout.js';
export { readJsonFile, toJsonText } from './json-file.js';
export {
  ensurePrivateDirectory,
  type KeyPairKind,
  readKeyPairFile,
  readPrivateKeyFile,
  type StoredKeyPair,
  type WriteFileOptions,
  writeKeyPairFile,
  writePrivateKeyFile,
  writePublicFile,
} from './key-files.js';
export {
  type FederationManifest,
  type FederationMember,
  ID_PATTERN,
  MEMBER_ROLES,
  type MemberRole,
  parseManifest,
} from './manifest-schema.js';
export {
  loadMemberIdentity,
  loadMemberKeys,
  type MemberIdentity,
  type MemberKeys,
} from './member-identity.js';
export { reissueAdmission } from './reissue-admission.js';
export {
  type CallWithAuthContext,
  type ChannelTlsMaterial,
  channelCredentials,
  peerCertificateFingerprint,
  serverCredentials,
  type TlsMaterial,
} from './tls-credentials.js';
export { generateTlsKeyAndCsr, importTlsPrivateKey, type TlsKeyAndCsr } from './tls-key.js';
