import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type BoxKeyPair, fromHex, type SigningKeyPair } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { verifySignedManifest } from './federation-manifest.js';
import { MEMBER_FILES } from './identity-layout.js';
import { readJsonFile } from './json-file.js';
import { readKeyPairFile, readPrivateKeyFile } from './key-files.js';
import {
  describeIssues,
  type FederationManifest,
  type FederationMember,
  hex32,
  idSchema,
  type MemberRole,
  roleSchema,
} from './manifest-schema.js';
import type { ChannelTlsMaterial } from './tls-credentials.js';

/** A member's own keys, available from enrolment on. All private parts were made on this machine. */
export interface MemberKeys {
  readonly dir: string;
  readonly id: string;
  readonly role: MemberRole;
  /** Signs this member's envelopes (updates, acceptances, jobs, ...). */
  readonly signingKey: SigningKeyPair;
  /** Opens what is sealed to this member (the job's HE secret key, a released model). */
  readonly sealingKey: BoxKeyPair;
  readonly tlsKeyPem: string;
}

/** A member after `installAdmission`: its keys plus what it needs to reach the coordinator. */
export interface MemberIdentity extends MemberKeys {
  /** Client TLS material, with the coordinator's certificate fingerprint pinned. */
  readonly tls: ChannelTlsMaterial;
  /** The coordinator's Ed25519 key, pinned at first install; verifies manifests and receipts. */
  readonly coordinatorSigningPublicKey: Uint8Array;
  readonly manifest: FederationManifest;
  readonly member: FederationMember;
}

const memberFileSchema = z.strictObject({ id: idSchema, role: roleSchema });
const pinnedCoordinatorSchema = z.looseObject({ signingPublicKey: hex32 });

async function parseFile<T>(path: string, what: string, schema: z.ZodType<T>): Promise<T> {
  const result = schema.safeParse(await readJsonFile(path, what));
  if (!result.success)
    throw new HeflError('invalid_config', `${what} ${path}: ${describeIssues(result.error)}`);
  return result.data;
}

/**
 * Loads a member's keys, refusing (`permission_denied`, naming `chmod 600 <file>`) any key
 * file that group or others can read: a daemon must not start on exposed keys.
 */
export async function loadMemberKeys(dir: string): Promise<MemberKeys> {
  const { id, role } = await parseFile(join(dir, MEMBER_FILES.member), 'member file', memberFileSchema);
  return {
    dir,
    id,
    role,
    signingKey: await readKeyPairFile(join(dir, MEMBER_FILES.signingKey), 'ed25519'),
    sealingKey: await readKeyPairFile(join(dir, MEMBER_FILES.sealingKey), 'x25519'),
    tlsKeyPem: await readPrivateKeyFile(join(dir, MEMBER_FILES.tlsKey)),
  };
}

/**
 * Loads an admitted member: keys (mode-checked), certificate, CA, and the stored manifest
 * verified against the pinned coordinator key. `failed_precondition` if not admitted yet;
 * `permission_denied` if the stored manifest shows this member revoked.
 */
export async function loadMemberIdentity(dir: string): Promise<MemberIdentity> {
  const keys = await loadMemberKeys(dir);
  const pinnedPath = join(dir, MEMBER_FILES.coordinator);
  const pinned = await parseFile(pinnedPath, 'pinned coordinator', pinnedCoordinatorSchema).catch((error) => {
    if (HeflError.is(error, 'not_found')) {
      throw new HeflError(
        'failed_precondition',
        `${dir} has no admission installed yet (run: hefl site install-admission)`,
        {
          cause: error,
        },
      );
    }
    throw error;
  });
  const coordinatorSigningPublicKey = fromHex(pinned.signingPublicKey);
  const manifest = verifySignedManifest(
    await readJsonFile(join(dir, MEMBER_FILES.manifest), 'federation manifest'),
    coordinatorSigningPublicKey,
  );
  const member = manifest.members.find((m) => m.id === keys.id);
  if (member === undefined)
    throw new HeflError('integrity', `the stored manifest does not list "${keys.id}"`);
  if (member.revokedAt !== undefined) {
    throw new HeflError('permission_denied', `member "${keys.id}" was revoked at ${member.revokedAt}`);
  }
  return {
    ...keys,
    tls: {
      caPem: await readFile(join(dir, MEMBER_FILES.caCertificate), 'utf8'),
      certPem: await readFile(join(dir, MEMBER_FILES.tlsCertificate), 'utf8'),
      keyPem: keys.tlsKeyPem,
      serverFingerprint: manifest.coordinator.tlsCertificateFingerprint,
    },
    coordinatorSigningPublicKey,
    manifest,
    member,
  };
}
