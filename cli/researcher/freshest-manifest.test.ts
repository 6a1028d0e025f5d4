import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair, toHex } from '../../common/crypto/index.js';
import { CertificateAuthority } from '../../common/identity/certificate-authority.js';
import {
  admitMember,
  createManifest,
  type SignedManifest,
} from '../../common/identity/federation-manifest.js';
import { freshestManifest } from './freshest-manifest.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-02T00:00:00.000Z');
const coordinator = generateSigningKeyPair();
const caPem = (await CertificateAuthority.create('fed', { now: T0 })).certificatePem;
const created = createManifest(
  {
    federationId: 'fed',
    coordinatorSigningPublicKey: coordinator.publicKey,
    coordinatorTlsCertificateFingerprint: 'c'.repeat(64),
    caCertificatePem: caPem,
  },
  coordinator.secretKey,
  T0,
);
const site = (id: string) => ({
  id,
  role: 'site' as const,
  signingPublicKey: toHex(generateSigningKeyPair().publicKey),
  sealingPublicKey: toHex(generateBoxKeyPair().publicKey),
  tlsCertificateFingerprint: toHex(generateBoxKeyPair().publicKey),
});
const withA = admitMember(created.manifest, site('site-a'), coordinator.secretKey, T0);
const withB = admitMember(withA.manifest, site('site-b'), coordinator.secretKey, T1);
const bytes = (signed: SignedManifest) => new TextEncoder().encode(JSON.stringify(signed));

describe('freshestManifest', () => {
  it('takes the coordinator’s newer signed manifest (a site admitted since)', () => {
    const { manifest, source } = freshestManifest(withA.manifest, bytes(withB), coordinator.publicKey);
    expect(source).toBe('coordinator');
    expect(manifest.members.map((m) => m.id)).toEqual(['site-a', 'site-b']);
  });

  it('keeps the copy on disk when the coordinator serves an older one, or none', () => {
    expect(freshestManifest(withB.manifest, bytes(withA), coordinator.publicKey).source).toBe('local');
    expect(freshestManifest(withB.manifest, new Uint8Array(), coordinator.publicKey).source).toBe('local');
  });

  it('refuses a manifest altered after the coordinator signed it', () => {
    const altered = JSON.parse(JSON.stringify(withB)) as SignedManifest;
    (altered.manifest.members[1] as { id: string }).id = 'site-x';
    expect(() => freshestManifest(withA.manifest, bytes(altered), coordinator.publicKey)).toThrow(
      /signature does not verify/,
    );
  });
});
