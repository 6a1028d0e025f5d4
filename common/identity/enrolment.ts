import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  fromHex,
  generateBoxKeyPair,
  generateSigningKeyPair,
  keyId,
  openEnvelope,
  signEnvelope,
  toHex,
} from '../crypto/index.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { HeflError } from '../errors/index.js';
import type { CertificateAuthority } from './certificate-authority.js';
import { certificateFingerprint } from './certificate-fingerprint.js';
import {
  type Admission,
  admissionSchema,
  ENROLMENT_CONTEXT,
  type EnrolmentRequest,
  enrolmentRequestSchema,
  type SignedEnrolmentRequest,
  signedEnrolmentRequestSchema,
} from './enrolment-schema.js';
import { admitMember, type SignedManifest, verifySignedManifest } from './federation-manifest.js';
import { MEMBER_FILES } from './identity-layout.js';
import { readJsonFile, toJsonText } from './json-file.js';
import {
  ensurePrivateDirectory,
  writeKeyPairFile,
  writePrivateKeyFile,
  writePublicFile,
} from './key-files.js';
import { describeIssues, type FederationManifest, hex32, type MemberRole } from './manifest-schema.js';
import { loadMemberIdentity, loadMemberKeys, type MemberIdentity } from './member-identity.js';
import { generateTlsKeyAndCsr } from './tls-key.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

export interface EnrolmentOptions {
  readonly id: string;
  readonly role: MemberRole;
  /** The member's own directory (created 0700); private keys are written here and stay here. */
  readonly dir: string;
  readonly now?: Date;
}

/**
 * Runs on the member's own machine: generates its Ed25519 (signing) and X25519 (sealing)
 * keys and its TLS key, writes them 0600 under `dir`, and writes the public
 * `enrolment-request.json` (public keys + CSR) signed with the new Ed25519 key. Refuses
 * (`already_exists`) a directory that already holds keys.
 */
export async function createEnrolmentRequest(
  options: EnrolmentOptions,
): Promise<{ readonly signedRequest: SignedEnrolmentRequest; readonly requestPath: string }> {
  const { id, role, dir } = options;
  const idCheck = enrolmentRequestSchema.shape.id.safeParse(id);
  if (!idCheck.success)
    throw new HeflError('invalid_argument', `member id "${id}": ${describeIssues(idCheck.error)}`);
  await ensurePrivateDirectory(dir);
  const signingKey = generateSigningKeyPair();
  const sealingKey = generateBoxKeyPair();
  const tls = await generateTlsKeyAndCsr(id);
  // The signing key goes first: if the directory already holds one, nothing else is touched.
  await writeKeyPairFile(join(dir, MEMBER_FILES.signingKey), 'ed25519', signingKey);
  await writeKeyPairFile(join(dir, MEMBER_FILES.sealingKey), 'x25519', sealingKey);
  await writePrivateKeyFile(join(dir, MEMBER_FILES.tlsKey), tls.privateKeyPem);
  await writePublicFile(join(dir, MEMBER_FILES.member), toJsonText({ id, role }));

  const request: EnrolmentRequest = {
    version: 1,
    id,
    role,
    signingPublicKey: toHex(signingKey.publicKey),
    sealingPublicKey: toHex(sealingKey.publicKey),
    csr: tls.csrPem,
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  const envelope = signEnvelope(ENROLMENT_CONTEXT, utf8(canonicalJson(request)), signingKey.secretKey);
  const signedRequest = { request, signature: toHex(envelope.signature) };
  const requestPath = join(dir, MEMBER_FILES.enrolmentRequest);
  await writePublicFile(requestPath, toJsonText(signedRequest), { overwrite: true });
  return { signedRequest, requestPath };
}

/**
 * Checks an enrolment request's self-signature (proof that the sender holds the Ed25519 key
 * it asks to have admitted) before reading anything else from it. `unauthenticated` on a bad
 * signature, `invalid_config` listing every problem of a malformed request.
 */
export function verifyEnrolmentRequest(file: unknown): EnrolmentRequest {
  const outer = signedEnrolmentRequestSchema.safeParse(file);
  if (!outer.success) {
    throw new HeflError('invalid_config', `enrolment request is invalid: ${describeIssues(outer.error)}`);
  }
  const claimedKey = hex32.safeParse(outer.data.request.signingPublicKey);
  if (!claimedKey.success) {
    throw new HeflError(
      'invalid_config',
      `enrolment request is invalid: request.signingPublicKey: ${describeIssues(claimedKey.error)}`,
    );
  }
  const signerPublicKey = fromHex(claimedKey.data);
  const payload = utf8(canonicalJson(outer.data.request));
  openEnvelope(
    ENROLMENT_CONTEXT,
    { payload, signature: fromHex(outer.data.signature), signerPublicKey },
    () => true,
  );
  const request = enrolmentRequestSchema.safeParse(outer.data.request);
  if (!request.success) {
    throw new HeflError('invalid_config', `enrolment request is invalid: ${describeIssues(request.error)}`);
  }
  return request.data;
}

/**
 * Coordinator operator: verifies the request, has the CA sign the member's CSR into a
 * client certificate (CN = member id, clientAuth), and admits the member into the manifest.
 * Returns the new signed manifest (to save) and the admission to hand back to the member.
 */
export async function admitEnrolment(
  requestFile: unknown,
  ca: CertificateAuthority,
  manifest: FederationManifest,
  coordinatorSecretKey: Uint8Array,
  now = new Date(),
): Promise<{
  readonly signedManifest: SignedManifest;
  readonly admission: Admission;
  readonly member: EnrolmentRequest;
}> {
  const request = verifyEnrolmentRequest(requestFile);
  if (manifest.members.some((m) => m.id === request.id)) {
    throw new HeflError('already_exists', `member "${request.id}" is already in the manifest`);
  }
  const certificate = await ca.issueClientCertificate({ csrPem: request.csr }, request.id, { now });
  const signedManifest = admitMember(
    manifest,
    {
      id: request.id,
      role: request.role,
      signingPublicKey: request.signingPublicKey,
      sealingPublicKey: request.sealingPublicKey,
      tlsCertificateFingerprint: certificateFingerprint(certificate),
    },
    coordinatorSecretKey,
    now,
  );
  const admission: Admission = {
    version: 1,
    memberId: request.id,
    certificate,
    caCertificate: ca.certificatePem,
    signedManifest: signedManifest as unknown as Admission['signedManifest'],
  };
  return { signedManifest, admission, member: request };
}

/**
 * Member side: checks an admission against this directory's own keys and stores it. The
 * coordinator key is pinned on first install (compare its key id out of band) and must match
 * on later ones. `integrity` if the manifest signature, certificate chain, fingerprint, or
 * the member's keys do not line up; `permission_denied` if the member is revoked.
 */
export async function installAdmission(dir: string, admissionFile: unknown): Promise<MemberIdentity> {
  const parsed = admissionSchema.safeParse(admissionFile);
  if (!parsed.success)
    throw new HeflError('invalid_config', `admission is invalid: ${describeIssues(parsed.error)}`);
  const admission = parsed.data;
  const local = await loadMemberKeys(dir);
  if (admission.memberId !== local.id) {
    throw new HeflError(
      'integrity',
      `admission is for "${admission.memberId}", this directory enrolled "${local.id}"`,
    );
  }
  const pinnedPath = join(dir, MEMBER_FILES.coordinator);
  const pinned = await access(pinnedPath).then(
    async () => (await readJsonFile(pinnedPath, 'pinned coordinator')) as { signingPublicKey?: unknown },
    () => undefined,
  );
  const offeredKey = hex32.safeParse(
    (admission.signedManifest.manifest.coordinator as { signingPublicKey?: unknown } | undefined)
      ?.signingPublicKey,
  );
  if (!offeredKey.success)
    throw new HeflError('invalid_config', 'admission manifest names no coordinator key');
  const coordinatorKeyHex =
    typeof pinned?.signingPublicKey === 'string' ? pinned.signingPublicKey : offeredKey.data;
  const manifest = verifySignedManifest(admission.signedManifest, fromHex(coordinatorKeyHex));

  const member = manifest.members.find((m) => m.id === local.id);
  if (member === undefined || member.signingPublicKey !== toHex(local.signingKey.publicKey)) {
    throw new HeflError(
      'integrity',
      `the manifest does not admit "${local.id}" with this directory's signing key`,
    );
  }
  if (member.revokedAt !== undefined) {
    throw new HeflError('permission_denied', `member "${local.id}" was revoked at ${member.revokedAt}`);
  }
  if (member.sealingPublicKey !== toHex(local.sealingKey.publicKey) || member.role !== local.role) {
    throw new HeflError(
      'integrity',
      'the manifest records another sealing key or role than this directory holds',
    );
  }
  if (admission.caCertificate !== manifest.caCertificate) {
    throw new HeflError('integrity', 'admission CA certificate differs from the one in the signed manifest');
  }
  const cert = new X509Certificate(admission.certificate);
  const caCert = new X509Certificate(admission.caCertificate);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) {
    throw new HeflError('integrity', 'certificate was not issued by the federation CA');
  }
  if (certificateFingerprint(admission.certificate) !== member.tlsCertificateFingerprint) {
    throw new HeflError('integrity', 'certificate is not the one the manifest records for this member');
  }
  const spki = (der: Buffer) => der.toString('hex');
  const localSpki = createPublicKey(createPrivateKey(local.tlsKeyPem)).export({
    type: 'spki',
    format: 'der',
  });
  if (spki(cert.publicKey.export({ type: 'spki', format: 'der' })) !== spki(localSpki)) {
    throw new HeflError('integrity', "certificate is for another TLS key than this directory's");
  }

  await writePublicFile(join(dir, MEMBER_FILES.tlsCertificate), admission.certificate, { overwrite: true });
  await writePublicFile(join(dir, MEMBER_FILES.caCertificate), admission.caCertificate, { overwrite: true });
  await writePublicFile(join(dir, MEMBER_FILES.manifest), toJsonText(admission.signedManifest), {
    overwrite: true,
  });
  await writePublicFile(
    pinnedPath,
    toJsonText({
      federationId: manifest.federationId,
      signingPublicKey: coordinatorKeyHex,
      keyId: keyId(fromHex(coordinatorKeyHex)),
      tlsCertificateFingerprint: manifest.coordinator.tlsCertificateFingerprint,
    }),
    { overwrite: true },
  );
  return loadMemberIdentity(dir);
}
