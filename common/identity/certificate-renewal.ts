import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { access, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fromHex, openEnvelope, signEnvelope, toHex } from '../crypto/index.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { HeflError } from '../errors/index.js';
import type { CertificateAuthority } from './certificate-authority.js';
import { certificateFingerprint } from './certificate-fingerprint.js';
import { installAdmission } from './enrolment.js';
import { type Admission, admissionSchema } from './enrolment-schema.js';
import { replaceMemberCredentials, type SignedManifest } from './federation-manifest.js';
import { MEMBER_FILES } from './identity-layout.js';
import { toJsonText } from './json-file.js';
import { readPrivateKeyFile, writePrivateKeyFile, writePublicFile } from './key-files.js';
import { describeIssues, type FederationManifest, idSchema, timestamp } from './manifest-schema.js';
import { loadMemberKeys, type MemberIdentity } from './member-identity.js';
import { generateTlsKeyAndCsr, importTlsPrivateKey } from './tls-key.js';
import { TLS_KEY_ALGORITHM, TLS_SIGNING_ALGORITHM, webcrypto, x509 } from './x509-provider.js';

/** Signing context of a renewal request: it can never pass for an enrolment or anything else. */
export const RENEWAL_CONTEXT = 'hefl.v1/certificate-renewal-request';

const renewalRequestSchema = z.strictObject({
  version: z.literal(1),
  id: idSchema,
  /** PKCS#10 request for the TLS key the renewed certificate is for (new or the current one). */
  csr: z
    .string()
    .includes('-----BEGIN CERTIFICATE REQUEST-----', { message: 'expected a PEM PKCS#10 request' }),
  createdAt: timestamp,
});
const signedRenewalRequestSchema = z.strictObject({
  request: z.record(z.string(), z.unknown()),
  signature: z.string().regex(/^[0-9a-f]{128}$/, 'expected 128 lower-case hex characters (64 bytes)'),
});

export type RenewalRequest = Readonly<z.infer<typeof renewalRequestSchema>>;

const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * Member side (`hefl site renew`): writes `renewal-request.json`, a CSR signed with the
 * member's admitted Ed25519 key. With `sameKey` the CSR is for the current TLS key;
 * otherwise a new TLS key is generated here and kept, 0600, in `renewal-tls-key.pem`
 * until `installRenewal` swaps it in. No private key is in the request.
 */
export async function createRenewalRequest(
  dir: string,
  options: { readonly sameKey?: boolean; readonly now?: Date } = {},
): Promise<{ readonly requestPath: string; readonly newKey: boolean }> {
  const keys = await loadMemberKeys(dir);
  let csrPem: string;
  if (options.sameKey) {
    csrPem = await csrForKey(keys.tlsKeyPem, keys.id);
  } else {
    const fresh = await generateTlsKeyAndCsr(keys.id);
    await writePrivateKeyFile(join(dir, MEMBER_FILES.renewalTlsKey), fresh.privateKeyPem, {
      overwrite: true,
    });
    csrPem = fresh.csrPem;
  }
  const request: RenewalRequest = {
    version: 1,
    id: keys.id,
    csr: csrPem,
    createdAt: (options.now ?? new Date()).toISOString(),
  };
  const envelope = signEnvelope(RENEWAL_CONTEXT, utf8(canonicalJson(request)), keys.signingKey.secretKey);
  const requestPath = join(dir, MEMBER_FILES.renewalRequest);
  await writePublicFile(requestPath, toJsonText({ request, signature: toHex(envelope.signature) }), {
    overwrite: true,
  });
  return { requestPath, newKey: !options.sameKey };
}

/**
 * Coordinator operator (`hefl federation renew MEMBER`): checks the request is signed by
 * the Ed25519 key the manifest admits for `memberId` (so only the member itself can ask),
 * has the CA sign its CSR, and records the new certificate's fingerprint in the manifest.
 * The old certificate is no longer in the manifest: the coordinator refuses it as soon as
 * it reloads the manifest. Returns the manifest to save and the admission for the member.
 */
export async function renewMemberCertificate(
  requestFile: unknown,
  memberId: string,
  ca: CertificateAuthority,
  manifest: FederationManifest,
  coordinatorSecretKey: Uint8Array,
  options: { readonly now?: Date; readonly validityDays?: number } = {},
): Promise<{ readonly signedManifest: SignedManifest; readonly admission: Admission }> {
  const now = options.now ?? new Date();
  const member = manifest.members.find((m) => m.id === memberId);
  if (member === undefined) throw new HeflError('not_found', `no member "${memberId}" in the manifest`);
  const outer = signedRenewalRequestSchema.safeParse(requestFile);
  if (!outer.success) {
    throw new HeflError('invalid_config', `renewal request is invalid: ${describeIssues(outer.error)}`);
  }
  openEnvelope(
    RENEWAL_CONTEXT,
    {
      payload: utf8(canonicalJson(outer.data.request)),
      signature: fromHex(outer.data.signature),
      signerPublicKey: fromHex(member.signingPublicKey),
    },
    () => true,
  );
  const request = renewalRequestSchema.safeParse(outer.data.request);
  if (!request.success) {
    throw new HeflError('invalid_config', `renewal request is invalid: ${describeIssues(request.error)}`);
  }
  if (request.data.id !== memberId) {
    throw new HeflError(
      'invalid_argument',
      `the renewal request is for "${request.data.id}", not "${memberId}"`,
    );
  }
  const certificate = await ca.issueClientCertificate({ csrPem: request.data.csr }, memberId, {
    now,
    ...(options.validityDays !== undefined ? { validityDays: options.validityDays } : {}),
  });
  const signedManifest = replaceMemberCredentials(
    manifest,
    memberId,
    { tlsCertificateFingerprint: certificateFingerprint(certificate) },
    coordinatorSecretKey,
    now,
  );
  return { signedManifest, admission: admissionFor(memberId, certificate, ca, signedManifest) };
}

/** The admission file format, reused for renewals and reissues so members install one kind of file. */
export function admissionFor(
  memberId: string,
  certificate: string,
  ca: CertificateAuthority,
  signedManifest: SignedManifest,
): Admission {
  return {
    version: 1,
    memberId,
    certificate,
    caCertificate: ca.certificatePem,
    signedManifest: signedManifest as unknown as Admission['signedManifest'],
  };
}

/**
 * Member side (`hefl site renew --install FILE`): installs a renewed certificate. If it is
 * for the key waiting in `renewal-tls-key.pem`, that key becomes `tls-key.pem` (the old
 * one is kept as `tls-key.previous.pem` until the install succeeds); then the admission
 * is checked exactly as a first one (pinned coordinator key, chain, fingerprint, own keys).
 * On any failure the folder keeps its previous key and certificate.
 */
export async function installRenewal(dir: string, admissionFile: unknown): Promise<MemberIdentity> {
  const parsed = admissionSchema.safeParse(admissionFile);
  if (!parsed.success)
    throw new HeflError('invalid_config', `renewal is invalid: ${describeIssues(parsed.error)}`);
  const current = join(dir, MEMBER_FILES.tlsKey);
  const pending = join(dir, MEMBER_FILES.renewalTlsKey);
  const previous = join(dir, 'tls-key.previous.pem');
  const hasPending = await access(pending).then(
    () => true,
    () => false,
  );
  const certificateKey = spkiHex(new X509Certificate(parsed.data.certificate).publicKey);
  const swap = hasPending && spkiHex(createPublicKey(await readPrivateKeyFile(pending))) === certificateKey;
  if (swap) {
    await rename(current, previous);
    await rename(pending, current);
  }
  try {
    const identity = await installAdmission(dir, parsed.data);
    if (swap) await rm(previous);
    return identity;
  } catch (error) {
    if (swap) {
      await rename(current, pending);
      await rename(previous, current);
    }
    throw error;
  }
}

function spkiHex(key: ReturnType<typeof createPublicKey>): string {
  return key.export({ type: 'spki', format: 'der' }).toString('hex');
}

/** A CSR for an existing PKCS#8 P-256 key (a renewal that keeps the key). */
async function csrForKey(privateKeyPem: string, commonName: string): Promise<string> {
  const privateKey = await importTlsPrivateKey(privateKeyPem);
  const jwk = createPrivateKey(privateKeyPem).export({ format: 'jwk' });
  const publicKey = await webcrypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
    TLS_KEY_ALGORITHM,
    true,
    ['verify'],
  );
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys: { privateKey, publicKey },
    signingAlgorithm: TLS_SIGNING_ALGORITHM,
  });
  return csr.toString('pem');
}
