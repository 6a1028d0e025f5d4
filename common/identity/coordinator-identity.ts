import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKeyPair, type SigningKeyPair } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { CertificateAuthority } from './certificate-authority.js';
import { certificateFingerprint } from './certificate-fingerprint.js';
import { createManifest, type SignedManifest, verifySignedManifest } from './federation-manifest.js';
import { COORDINATOR_FILES } from './identity-layout.js';
import { readJsonFile, toJsonText } from './json-file.js';
import {
  ensurePrivateDirectory,
  readKeyPairFile,
  readPrivateKeyFile,
  writeKeyPairFile,
  writePrivateKeyFile,
  writePublicFile,
} from './key-files.js';
import { type FederationManifest, ID_PATTERN } from './manifest-schema.js';
import type { TlsMaterial } from './tls-credentials.js';
import { generateTlsKeyAndCsr } from './tls-key.js';

export interface InitFederationOptions {
  readonly federationId: string;
  /** Extra names/IPs for the coordinator's server certificate (`localhost`, `127.0.0.1` always). */
  readonly hostnames?: readonly string[];
  readonly now?: Date;
}

/** Everything the coordinator daemon and the `federation admit/revoke` commands need. */
export interface CoordinatorIdentity {
  readonly dir: string;
  /** Signs the manifest (and, later, receipts). Its public key is what members pin. */
  readonly signingKey: SigningKeyPair;
  readonly ca: CertificateAuthority;
  /** Server-side TLS material for `serverCredentials`. */
  readonly tls: TlsMaterial;
  readonly signedManifest: SignedManifest;
  readonly manifest: FederationManifest;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates a federation under `dir` (0700): the coordinator's Ed25519 key, the CA, the
 * coordinator's own TLS key and server certificate, and an empty signed manifest. Refuses
 * (`already_exists`) a directory that already holds a federation; nothing is overwritten.
 */
export async function initFederation(
  dir: string,
  options: InitFederationOptions,
): Promise<CoordinatorIdentity> {
  if (!ID_PATTERN.test(options.federationId)) {
    throw new HeflError(
      'invalid_argument',
      `federation id "${options.federationId}" must be 1-64 letters, digits, ".", "_" or "-"`,
    );
  }
  const path = (name: string) => join(dir, name);
  for (const name of Object.values(COORDINATOR_FILES)) {
    if (await exists(path(name))) {
      throw new HeflError(
        'already_exists',
        `${dir} already holds a federation (${name}); refusing to overwrite it`,
      );
    }
  }
  await ensurePrivateDirectory(dir);
  const now = options.now ?? new Date();

  const signingKey = generateSigningKeyPair();
  await writeKeyPairFile(path(COORDINATOR_FILES.signingKey), 'ed25519', signingKey);

  const ca = await CertificateAuthority.create(options.federationId, { now });
  await writePrivateKeyFile(path(COORDINATOR_FILES.caKey), await ca.exportPrivateKeyPem());
  await writePublicFile(path(COORDINATOR_FILES.caCertificate), ca.certificatePem);

  const tlsKey = await generateTlsKeyAndCsr('hefl coordinator');
  const certPem = await ca.issueServerCertificate(
    { csrPem: tlsKey.csrPem },
    { hostnames: options.hostnames ?? [], now },
  );
  await writePrivateKeyFile(path(COORDINATOR_FILES.tlsKey), tlsKey.privateKeyPem);
  await writePublicFile(path(COORDINATOR_FILES.tlsCertificate), certPem);

  const signedManifest = createManifest(
    {
      federationId: options.federationId,
      coordinatorSigningPublicKey: signingKey.publicKey,
      coordinatorTlsCertificateFingerprint: certificateFingerprint(certPem),
      caCertificatePem: ca.certificatePem,
    },
    signingKey.secretKey,
    now,
  );
  await saveCoordinatorManifest(dir, signedManifest);
  return {
    dir,
    signingKey,
    ca,
    tls: { caPem: ca.certificatePem, certPem, keyPem: tlsKey.privateKeyPem },
    signedManifest,
    manifest: signedManifest.manifest,
  };
}

/**
 * Loads the coordinator's identity, refusing (`permission_denied`) key files that group or
 * others can read, and verifying the manifest against the coordinator's own key.
 */
export async function loadCoordinatorIdentity(dir: string): Promise<CoordinatorIdentity> {
  const path = (name: string) => join(dir, name);
  const signingKey = await readKeyPairFile(path(COORDINATOR_FILES.signingKey), 'ed25519');
  const caPem = await readFile(path(COORDINATOR_FILES.caCertificate), 'utf8');
  const ca = await CertificateAuthority.load(caPem, await readPrivateKeyFile(path(COORDINATOR_FILES.caKey)));
  const keyPem = await readPrivateKeyFile(path(COORDINATOR_FILES.tlsKey));
  const certPem = await readFile(path(COORDINATOR_FILES.tlsCertificate), 'utf8');
  const file = await readJsonFile(path(COORDINATOR_FILES.manifest), 'federation manifest');
  const manifest = verifySignedManifest(file, signingKey.publicKey);
  if (manifest.caCertificate !== ca.certificatePem) {
    throw new HeflError(
      'integrity',
      `${path(COORDINATOR_FILES.caCertificate)} is not the CA the manifest names`,
    );
  }
  return {
    dir,
    signingKey,
    ca,
    tls: { caPem, certPem, keyPem },
    signedManifest: { manifest, signature: (file as { signature: string }).signature },
    manifest,
  };
}

/** Replaces `manifest.json` atomically (after admit or revoke). */
export async function saveCoordinatorManifest(dir: string, signed: SignedManifest): Promise<void> {
  await writePublicFile(join(dir, COORDINATOR_FILES.manifest), toJsonText(signed), { overwrite: true });
}
