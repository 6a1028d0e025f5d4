import { bytesEqual, keyId } from '../common/crypto/index.js';

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
}

/**
 * Who may speak. Every signed message is checked against this before it is decoded;
 * a revoked member is treated as unknown from the moment the directory says so.
 */
export interface MemberDirectory {
  bySigningKey(publicKey: Uint8Array): Member | undefined;
  byId(id: string): Member | undefined;
}

export class StaticMemberDirectory implements MemberDirectory {
  private readonly byKey = new Map<string, Member>();
  private readonly byMemberId = new Map<string, Member>();

  constructor(members: readonly Member[]) {
    for (const member of members) {
      this.byKey.set(keyId(member.signingPublicKey), member);
      this.byMemberId.set(member.id, member);
    }
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
