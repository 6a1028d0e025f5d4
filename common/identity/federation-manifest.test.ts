import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair, type SigningKeyPair, toHex } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { CertificateAuthority } from './certificate-authority.js';
import {
  activeMembers,
  admitMember,
  createManifest,
  findMemberBySigningKey,
  type MemberAdmissionRequest,
  revokeMember,
  type SignedManifest,
  verifySignedManifest,
} from './federation-manifest.js';
import { parseManifest } from './manifest-schema.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const T1 = new Date('2025-01-02T00:00:00.000Z');
const caPem = (await CertificateAuthority.create('test-fed', { now: T0 })).certificatePem;

function newFederation(): { coordinator: SigningKeyPair; signed: SignedManifest } {
  const coordinator = generateSigningKeyPair();
  const signed = createManifest(
    {
      federationId: 'test-fed',
      coordinatorSigningPublicKey: coordinator.publicKey,
      coordinatorTlsCertificateFingerprint: 'c'.repeat(64),
      caCertificatePem: caPem,
    },
    coordinator.secretKey,
    T0,
  );
  return { coordinator, signed };
}

function request(id: string, role: MemberAdmissionRequest['role'] = 'site'): MemberAdmissionRequest {
  return {
    id,
    role,
    signingPublicKey: toHex(generateSigningKeyPair().publicKey),
    sealingPublicKey: toHex(generateBoxKeyPair().publicKey),
    tlsCertificateFingerprint: toHex(generateBoxKeyPair().publicKey),
  };
}

function thrown(fn: () => unknown): HeflError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HeflError);
    return error as HeflError;
  }
  throw new Error('expected a HeflError');
}

const roundTrip = (signed: SignedManifest): unknown => JSON.parse(JSON.stringify(signed, null, 2));

describe('federation manifest', () => {
  it('admits members without changing the entries already there, and verifies after a JSON round trip', () => {
    const { coordinator, signed } = newFederation();
    const a = request('hospital-a');
    const b = request('alice', 'researcher');

    const afterA = admitMember(signed.manifest, a, coordinator.secretKey, T0);
    const afterB = admitMember(afterA.manifest, b, coordinator.secretKey, T1);
    const verified = verifySignedManifest(roundTrip(afterB), coordinator.publicKey);

    expect(verified.members.map((m) => m.id)).toEqual(['hospital-a', 'alice']);
    expect(verified.members[0]).toEqual(afterA.manifest.members[0]);
    expect(findMemberBySigningKey(verified, a.signingPublicKey)?.role).toBe('site');
    expect(activeMembers(verified, 'researcher').map((m) => m.id)).toEqual(['alice']);
    expect(Object.isFrozen(verified.members[0])).toBe(true);
  });

  it('refuses a second member with the same id or key', () => {
    const { coordinator, signed } = newFederation();
    const a = request('hospital-a');
    const after = admitMember(signed.manifest, a, coordinator.secretKey, T0);

    const sameId = thrown(() => admitMember(after.manifest, request('hospital-a'), coordinator.secretKey));
    const sameKey = thrown(() =>
      admitMember(
        after.manifest,
        { ...request('b'), signingPublicKey: a.signingPublicKey },
        coordinator.secretKey,
      ),
    );

    expect(sameId.code).toBe('already_exists');
    expect(sameKey.code).toBe('already_exists');
  });

  it('revokes a member: kept with revokedAt, no longer active, cannot be revoked twice', () => {
    const { coordinator, signed } = newFederation();
    const admitted = admitMember(signed.manifest, request('hospital-a'), coordinator.secretKey, T0);

    const revoked = revokeMember(admitted.manifest, 'hospital-a', coordinator.secretKey, T1);
    const verified = verifySignedManifest(roundTrip(revoked), coordinator.publicKey);

    expect(verified.members[0]?.revokedAt).toBe(T1.toISOString());
    expect(activeMembers(verified)).toEqual([]);
    expect(thrown(() => revokeMember(verified, 'hospital-a', coordinator.secretKey)).code).toBe(
      'failed_precondition',
    );
    expect(thrown(() => revokeMember(verified, 'nobody', coordinator.secretKey)).code).toBe('not_found');
  });

  it('refuses a manifest altered after signing, or checked against another coordinator key', () => {
    const { coordinator, signed } = newFederation();
    const admitted = admitMember(signed.manifest, request('hospital-a'), coordinator.secretKey, T0);
    const tampered = roundTrip(admitted) as { manifest: { members: { role: string }[] } };
    tampered.manifest.members[0]!.role = 'researcher';

    const altered = thrown(() => verifySignedManifest(tampered, coordinator.publicKey));
    const otherKey = thrown(() =>
      verifySignedManifest(roundTrip(admitted), generateSigningKeyPair().publicKey),
    );

    expect(altered.code).toBe('integrity');
    expect(altered.message).toMatch(/signature does not verify/);
    expect(otherKey.code).toBe('integrity');
  });

  it('refuses to be signed by anyone but the coordinator it names', () => {
    const { signed } = newFederation();

    const error = thrown(() =>
      admitMember(signed.manifest, request('x'), generateSigningKeyPair().secretKey),
    );

    expect(error.code).toBe('permission_denied');
  });

  it('reports every validation problem at once as path: message', () => {
    const { signed } = newFederation();
    const broken = {
      ...(roundTrip(signed) as { manifest: object }),
    }.manifest as Record<string, unknown>;
    broken.version = 2;
    broken.federationId = 'has spaces';
    broken.members = [
      { ...request('ok'), admittedAt: T0.toISOString(), role: 'admin', sealingPublicKey: 'xyz' },
      { ...request('ok'), admittedAt: 'yesterday' },
    ];
    broken.extra = true;

    const error = thrown(() => parseManifest(broken));

    expect(error.code).toBe('invalid_config');
    for (const part of [
      'version:',
      'federationId:',
      'members.0.role:',
      'members.0.sealingPublicKey:',
      'members.1.admittedAt:',
      'extra',
    ]) {
      expect(error.message).toContain(part);
    }
  });

  it('reports duplicate ids across members', () => {
    const { signed } = newFederation();
    const manifest = roundTrip(signed) as { manifest: Record<string, unknown> };
    manifest.manifest.members = [
      { ...request('twin'), admittedAt: T0.toISOString() },
      { ...request('twin'), admittedAt: T0.toISOString() },
    ];

    const error = thrown(() => parseManifest(manifest.manifest));

    expect(error.message).toContain('members.1.id: duplicate member id');
  });
});
