import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { HeflError } from '../errors/index.js';
import { zodProblems } from '../validation/zod-problems.js';

/** What an admitted party may do: sites train, researchers run jobs, auditors read logs. */
export type MemberRole = 'site' | 'researcher' | 'auditor';
export const MEMBER_ROLES: readonly MemberRole[] = Object.freeze(['site', 'researcher', 'auditor']);

/** Member and federation ids: 1-64 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One admitted party. Keys are hex; every private counterpart stays on the member's machine. */
export interface FederationMember {
  readonly id: string;
  readonly role: MemberRole;
  /** Ed25519 public key (32 bytes hex): verifies the member's signed envelopes. */
  readonly signingPublicKey: string;
  /** X25519 public key (32 bytes hex): HE secret keys and released models are sealed to it. */
  readonly sealingPublicKey: string;
  /** SHA-256 hex of the DER of the TLS client certificate the CA issued to this member. */
  readonly tlsCertificateFingerprint: string;
  /** ISO 8601 UTC. */
  readonly admittedAt: string;
  /** ISO 8601 UTC; present once revoked. A revoked member is never deleted, so history stays readable. */
  readonly revokedAt?: string;
}

/**
 * Who belongs to a federation. Signed by the coordinator's Ed25519 key; parties pin that
 * key (from their admission) and accept only manifests it signed.
 */
export interface FederationManifest {
  readonly version: 1;
  readonly federationId: string;
  readonly coordinator: {
    /** Ed25519 public key (hex) that signs this manifest. */
    readonly signingPublicKey: string;
    /** SHA-256 hex of the coordinator's TLS server certificate, for pinning. */
    readonly tlsCertificateFingerprint: string;
  };
  /** The federation CA certificate (PEM) every TLS peer is checked against. */
  readonly caCertificate: string;
  readonly members: readonly FederationMember[];
  /** ISO 8601 UTC of the last change. */
  readonly updatedAt: string;
}

/** Schema parts shared with the enrolment files. */
export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex characters (32 bytes)');
export const timestamp = z.iso.datetime({ message: 'expected an ISO 8601 UTC timestamp' });
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
export const certificatePem = z.string().refine((pem) => {
  try {
    new X509Certificate(pem);
    return pem.includes('-----BEGIN CERTIFICATE-----');
  } catch {
    return false;
  }
}, 'expected a PEM X.509 certificate');

export const roleSchema = z.enum(['site', 'researcher', 'auditor']);

const memberSchema = z.strictObject({
  id: idSchema,
  role: roleSchema,
  signingPublicKey: hex32,
  sealingPublicKey: hex32,
  tlsCertificateFingerprint: hex32,
  admittedAt: timestamp,
  revokedAt: timestamp.optional(),
});

const manifestSchema = z
  .strictObject({
    version: z.literal(1),
    federationId: idSchema,
    coordinator: z.strictObject({ signingPublicKey: hex32, tlsCertificateFingerprint: hex32 }),
    caCertificate: certificatePem,
    members: z.array(memberSchema),
    updatedAt: timestamp,
  })
  .superRefine((manifest, ctx) => {
    // Each id, key and certificate identifies exactly one party.
    const seen = new Map<string, string>();
    const claim = (value: string, what: string, path: (string | number)[]) => {
      const key = `${what}:${value}`;
      const owner = seen.get(key);
      if (owner !== undefined)
        ctx.addIssue({ code: 'custom', path, message: `duplicate ${what} (also ${owner})` });
      else seen.set(key, path.slice(0, 2).join('.'));
    };
    claim(manifest.coordinator.signingPublicKey, 'signing key', ['coordinator', 'signingPublicKey']);
    claim(manifest.coordinator.tlsCertificateFingerprint, 'certificate', [
      'coordinator',
      'tlsCertificateFingerprint',
    ]);
    manifest.members.forEach((m, i) => {
      claim(m.id, 'member id', ['members', i, 'id']);
      claim(m.signingPublicKey, 'signing key', ['members', i, 'signingPublicKey']);
      claim(m.sealingPublicKey, 'sealing key', ['members', i, 'sealingPublicKey']);
      claim(m.tlsCertificateFingerprint, 'certificate', ['members', i, 'tlsCertificateFingerprint']);
    });
  });

/** Parsed JSON that matches the schema is assignable to the documented interface. */
const _typeCheck: (value: z.infer<typeof manifestSchema>) => FederationManifest = (value) => value;
void _typeCheck;

/** Deep-freezes a plain JSON value, so a parsed manifest cannot be changed behind its signature. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Lists every zod problem as `path: message`, joined with `; ` (one line for the CLI). */
export function describeIssues(error: z.ZodError): string {
  return zodProblems(error).join('; ');
}

/**
 * Validates a manifest once into a deeply frozen value, reporting every problem at once
 * (`invalid_config`, message `<source> is invalid: path: message; path: message`).
 */
export function parseManifest(value: unknown, source = 'federation manifest'): FederationManifest {
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    throw new HeflError('invalid_config', `${source} is invalid: ${describeIssues(result.error)}`);
  }
  return deepFreeze(result.data);
}
