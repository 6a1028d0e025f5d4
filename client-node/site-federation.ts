import { bytesEqual, fromHex } from '../common/crypto/index.js';
import { verifySignedManifest } from '../common/identity/index.js';
import type { FederationManifest } from '../common/identity/manifest-schema.js';
import type { FederationView } from './site-keys.js';

/**
 * The federation as a site sees it: the manifest, verified against the coordinator key
 * the site pinned at enrolment. Newer signed manifests arriving from the coordinator
 * replace it (new members, revocations); an older or badly signed one is refused, so a
 * coordinator cannot roll a site back or slip in a member it did not sign.
 */
export class SiteFederation implements FederationView {
  readonly coordinatorSigningKey: Uint8Array;
  private manifest: FederationManifest;
  private members: {
    id: string;
    role: 'site' | 'researcher' | 'auditor';
    key: Uint8Array;
    sealingKey: Uint8Array;
  }[] = [];

  constructor(coordinatorSigningKey: Uint8Array, manifest: FederationManifest) {
    this.coordinatorSigningKey = coordinatorSigningKey;
    this.manifest = manifest;
    this.index();
  }

  memberBySigningKey(publicKey: Uint8Array) {
    const member = this.members.find((m) => bytesEqual(m.key, publicKey));
    return member ? { id: member.id, role: member.role } : undefined;
  }

  siteSealingKey(siteId: string): Uint8Array | undefined {
    return this.members.find((m) => m.id === siteId && m.role === 'site')?.sealingKey;
  }

  /** Applies a signed manifest from the coordinator; returns false if it is older than ours. */
  update(signedJson: Uint8Array): boolean {
    const manifest = verifySignedManifest(
      JSON.parse(new TextDecoder().decode(signedJson)),
      this.coordinatorSigningKey,
    );
    if (manifest.updatedAt < this.manifest.updatedAt) return false;
    this.manifest = manifest;
    this.index();
    return true;
  }

  private index(): void {
    this.members = this.manifest.members
      .filter((m) => m.revokedAt === undefined)
      .map((m) => ({
        id: m.id,
        role: m.role,
        key: fromHex(m.signingPublicKey),
        sealingKey: fromHex(m.sealingPublicKey),
      }));
  }
}
