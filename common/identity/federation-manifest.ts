import { z } from 'zod';
import {
  fromHex,
  keyId,
  openEnvelope,
  SIGNING_PUBLIC_KEY_BYTES,
  signEnvelope,
  toHex,
} from '../crypto/index.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { HeflError } from '../errors/index.js';
import {
  deepFreeze,
  describeIssues,
  type FederationManifest,
  type FederationMember,
  type MemberRole,
  parseManifest,
} from './manifest-schema.js';

/** Signing context of the manifest: a manifest signature can never pass for any other message. */
export const MANIFEST_CONTEXT = 'hefl.v1/federation-manifest';

/**
 * The manifest as stored and shipped (`manifest.json`): the manifest object and the
 * coordinator's Ed25519 signature (hex) over `canonicalJson(manifest)` in context
 * `MANIFEST_CONTEXT`. Pretty-printing or key order do not matter; content does.
 */
export interface SignedManifest {
  readonly manifest: FederationManifest;
  readonly signature: string;
}

/** What the coordinator operator admits: the public half of an enrolment. */
export interface MemberAdmissionRequest {
  readonly id: string;
  readonly role: MemberRole;
  readonly signingPublicKey: string;
  readonly sealingPublicKey: string;
  readonly tlsCertificateFingerprint: string;
}

export interface ManifestInit {
  readonly federationId: string;
  readonly coordinatorSigningPublicKey: Uint8Array;
  readonly coordinatorTlsCertificateFingerprint: string;
  readonly caCertificatePem: string;
}

const signedFileSchema = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  signature: z.string().regex(/^[0-9a-f]{128}$/, 'expected 128 lower-case hex characters (64 bytes)'),
});

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Validates `manifest` and signs it with the coordinator's 64-byte Ed25519 secret key. */
function sign(manifest: FederationManifest, signerSecretKey: Uint8Array): SignedManifest {
  const parsed = parseManifest(manifest);
  const signerPublicKey = signerSecretKey.subarray(signerSecretKey.byteLength - SIGNING_PUBLIC_KEY_BYTES);
  if (toHex(signerPublicKey) !== parsed.coordinator.signingPublicKey) {
    throw new HeflError('permission_denied', 'only the coordinator key named in the manifest may sign it');
  }
  const envelope = signEnvelope(MANIFEST_CONTEXT, utf8(canonicalJson(parsed)), signerSecretKey);
  return deepFreeze({ manifest: parsed, signature: toHex(envelope.signature) });
}

/** A new, empty manifest, signed. */
export function createManifest(
  init: ManifestInit,
  signerSecretKey: Uint8Array,
  now = new Date(),
): SignedManifest {
  const manifest: FederationManifest = {
    version: 1,
    federationId: init.federationId,
    coordinator: {
      signingPublicKey: toHex(init.coordinatorSigningPublicKey),
      tlsCertificateFingerprint: init.coordinatorTlsCertificateFingerprint,
    },
    caCertificate: init.caCertificatePem,
    members: [],
    updatedAt: now.toISOString(),
  };
  return sign(manifest, signerSecretKey);
}

/**
 * Adds one member and re-signs. Nobody else's entry changes, so no other credential is
 * re-issued. `already_exists` if the id, either key or the certificate is already in use
 * (revoked members included: an id is never reused).
 */
export function admitMember(
  manifest: FederationManifest,
  request: MemberAdmissionRequest,
  signerSecretKey: Uint8Array,
  now = new Date(),
): SignedManifest {
  const clash = manifest.members.find(
    (m) =>
      m.id === request.id ||
      m.signingPublicKey === request.signingPublicKey ||
      m.sealingPublicKey === request.sealingPublicKey ||
      m.tlsCertificateFingerprint === request.tlsCertificateFingerprint,
  );
  if (clash !== undefined) {
    const what = clash.id === request.id ? `id "${request.id}"` : 'a key or certificate';
    throw new HeflError('already_exists', `${what} is already used by member "${clash.id}"`);
  }
  const member: FederationMember = {
    id: request.id,
    role: request.role,
    signingPublicKey: request.signingPublicKey,
    sealingPublicKey: request.sealingPublicKey,
    tlsCertificateFingerprint: request.tlsCertificateFingerprint,
    admittedAt: now.toISOString(),
  };
  return sign(
    { ...manifest, members: [...manifest.members, member], updatedAt: now.toISOString() },
    signerSecretKey,
  );
}

/**
 * Marks a member revoked (kept, with `revokedAt`) and re-signs. The coordinator refuses the
 * member's TLS connections and envelopes as soon as it holds the new manifest; running jobs
 * drop it from the next round. `not_found` / `failed_precondition` if absent or already revoked.
 */
export function revokeMember(
  manifest: FederationManifest,
  id: string,
  signerSecretKey: Uint8Array,
  now = new Date(),
): SignedManifest {
  const target = manifest.members.find((m) => m.id === id);
  if (target === undefined) throw new HeflError('not_found', `no member "${id}" in the manifest`);
  if (target.revokedAt !== undefined) {
    throw new HeflError('failed_precondition', `member "${id}" was already revoked at ${target.revokedAt}`);
  }
  const members = manifest.members.map((m) => (m.id === id ? { ...m, revokedAt: now.toISOString() } : m));
  return sign({ ...manifest, members, updatedAt: now.toISOString() }, signerSecretKey);
}

/** Credentials of one member that a renewal or a reissue may replace. */
export type MemberCredentials = Pick<
  FederationMember,
  'signingPublicKey' | 'sealingPublicKey' | 'tlsCertificateFingerprint'
>;

/**
 * Replaces some of an admitted member's credentials and re-signs: a certificate renewal
 * replaces the TLS fingerprint, a reissue (lost admission) all three keys. The replaced
 * credentials are no longer in the manifest, so the coordinator refuses them as soon as it
 * reloads it. Id, role and admission time stay. `not_found` if absent, `failed_precondition`
 * if revoked (revocation is final), `invalid_config` if a new key is already someone's.
 */
export function replaceMemberCredentials(
  manifest: FederationManifest,
  id: string,
  credentials: Partial<MemberCredentials>,
  signerSecretKey: Uint8Array,
  now = new Date(),
): SignedManifest {
  const target = manifest.members.find((m) => m.id === id);
  if (target === undefined) throw new HeflError('not_found', `no member "${id}" in the manifest`);
  if (target.revokedAt !== undefined) {
    throw new HeflError(
      'failed_precondition',
      `member "${id}" was revoked at ${target.revokedAt}; a revoked member cannot be renewed or reissued`,
    );
  }
  const members = manifest.members.map((m) => (m.id === id ? { ...m, ...credentials } : m));
  return sign({ ...manifest, members, updatedAt: now.toISOString() }, signerSecretKey);
}

/**
 * Checks a stored manifest (parsed JSON) against the coordinator key the caller already
 * trusts, then validates it: `integrity` if the signature does not verify (altered, or
 * signed by another key) or the manifest names another coordinator key; `invalid_config`
 * for a malformed file, listing every problem.
 */
export function verifySignedManifest(file: unknown, coordinatorKey: Uint8Array): FederationManifest {
  const outer = signedFileSchema.safeParse(file);
  if (!outer.success) {
    throw new HeflError('invalid_config', `signed manifest is invalid: ${describeIssues(outer.error)}`);
  }
  if (coordinatorKey.byteLength !== SIGNING_PUBLIC_KEY_BYTES) {
    throw new HeflError('invalid_argument', 'coordinator key must be a 32-byte Ed25519 public key');
  }
  const payload = utf8(canonicalJson(outer.data.manifest));
  try {
    openEnvelope(
      MANIFEST_CONTEXT,
      { payload, signature: fromHex(outer.data.signature), signerPublicKey: coordinatorKey },
      () => true,
    );
  } catch (error) {
    throw new HeflError(
      'integrity',
      `federation manifest signature does not verify with coordinator key ${keyId(coordinatorKey)}: altered or signed by another key`,
      { cause: error },
    );
  }
  const manifest = parseManifest(outer.data.manifest);
  if (manifest.coordinator.signingPublicKey !== toHex(coordinatorKey)) {
    throw new HeflError(
      'integrity',
      'federation manifest names a different coordinator key than the one it is signed with',
    );
  }
  return manifest;
}

function hexKey(publicKey: Uint8Array | string): string {
  return typeof publicKey === 'string' ? publicKey.toLowerCase() : toHex(publicKey);
}

/** The member holding this Ed25519 key, revoked or not (check `revokedAt`), or undefined. */
export function findMemberBySigningKey(
  manifest: FederationManifest,
  publicKey: Uint8Array | string,
): FederationMember | undefined {
  const wanted = hexKey(publicKey);
  return manifest.members.find((m) => m.signingPublicKey === wanted);
}

/** The member whose TLS certificate has this SHA-256 fingerprint, revoked or not, or undefined. */
export function findMemberByFingerprint(
  manifest: FederationManifest,
  fingerprint: string,
): FederationMember | undefined {
  const wanted = fingerprint.toLowerCase();
  return manifest.members.find((m) => m.tlsCertificateFingerprint === wanted);
}

/** Members not revoked, optionally only those of `role`. */
export function activeMembers(manifest: FederationManifest, role?: MemberRole): readonly FederationMember[] {
  return manifest.members.filter((m) => m.revokedAt === undefined && (role === undefined || m.role === role));
}
