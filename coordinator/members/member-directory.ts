import { bytesEqual, keyId } from '../../common/crypto/index.js';

export type MemberRole = 'site' | 'researcher' | 'auditor';

/** An admitted member of the federation, as the coordinator knows it (public keys only). */
export interface Member {
  readonly id: string;
  readonly role: MemberRole;
  /** Ed25519 key that signs this member's messages. */
  readonly signingPublicKey: Uint8Array;
  /** X25519 key the dealer seals the job's HE secret key to (sites), or metrics to (researchers). */
  readonly sealingPublicKey: Uint8Array;
  readonly revoked: boolean;
  /** SHA-256 (hex) of the member's TLS client certificate; absent on plaintext test transports. */
  readonly tlsFingerprint?: string;
  /** When the manifest admitted the member (ISO 8601); absent outside a manifest. */
  readonly admittedAt?: string;
}

/**
 * Who may speak. Every signed message is checked against this before it is decoded;
 * a revoked member is treated as unknown from the moment the directory says so.
 */
export interface MemberDirectory {
  bySigningKey(publicKey: Uint8Array): Member | undefined;
  byId(id: string): Member | undefined;
  /** The member a TLS client certificate belongs to (revoked members included, flagged). */
  byTlsFingerprint(fingerprint: string): Member | undefined;
  /** True when every call must present an admitted TLS client certificate (production). */
  readonly requiresPeerCertificate: boolean;
  /** The signed manifest as sites receive it, if this directory comes from one. */
  signedManifestJson?(): Uint8Array;
  /** Calls `listener` after the manifest changed (admission, revocation). */
  onChange?(listener: () => void): void;
}

/**
 * A fixed list of members. Every call must present an admitted TLS client certificate,
 * unless the caller says explicitly that it serves a plaintext in-process test transport
 * (`withoutPeerCertificates: true`), where there are none and only signatures are checked.
 */
export class StaticMemberDirectory implements MemberDirectory {
  private readonly byKey = new Map<string, Member>();
  private readonly byMemberId = new Map<string, Member>();
  private readonly byFingerprint = new Map<string, Member>();
  readonly requiresPeerCertificate: boolean;

  constructor(members: readonly Member[], options: { readonly withoutPeerCertificates?: boolean } = {}) {
    this.requiresPeerCertificate = options.withoutPeerCertificates !== true;
    for (const member of members) {
      this.byKey.set(keyId(member.signingPublicKey), member);
      this.byMemberId.set(member.id, member);
      if (member.tlsFingerprint) this.byFingerprint.set(member.tlsFingerprint, member);
    }
  }

  byTlsFingerprint(fingerprint: string): Member | undefined {
    return this.byFingerprint.get(fingerprint.toLowerCase());
  }

  bySigningKey(publicKey: Uint8Array): Member | undefined {
    const member = this.byKey.get(keyId(publicKey));
    return member && bytesEqual(member.signingPublicKey, publicKey) && !member.revoked ? member : undefined;
  }

  byId(id: string): Member | undefined {
    const member = this.byMemberId.get(id);
    return member && !member.revoked ? member : undefined;
  }
}
