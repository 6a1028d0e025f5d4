import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { peerCertificateFingerprint } from '../../common/identity/tls-credentials.js';
import { type MessageCodec, openMessage } from '../../common/protocol/signed-message.js';
import type { SigningContextName } from '../../common/protocol/signing-context.js';
import { type Clock, systemClock } from '../../common/time/clock.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { Member, MemberDirectory, MemberRole } from '../members/member-directory.js';
import type { AuditSink } from '../storage/audit-sink.js';
import { boundedText } from './bounded-text.js';
import { RefusalRecorder } from './refusal-recorder.js';

type PeerCall = Parameters<typeof peerCertificateFingerprint>[0];

/**
 * Every signed request passes here first: the signer must be an admitted, unrevoked
 * member (else 'unauthenticated'), hold the role the request needs (else
 * 'permission_denied'), and the signature must verify — all before the payload is
 * decoded. Refusals are written to the audit log with the signer's key id.
 */
export class RequestGuard {
  private readonly refusals: RefusalRecorder;

  constructor(
    private readonly members: MemberDirectory,
    audit: AuditSink,
    clock: Clock = systemClock,
    /** Told of each admitted request's member and each refusal's code (operator views, metrics). */
    private readonly observer?: {
      contact(memberId: string, certificateExpiresMs?: number): void;
      refused(reason: string, who: string): void;
    },
  ) {
    this.refusals = new RefusalRecorder(audit, clock);
  }

  /** Writes the counts of refusals not yet in the audit log (the coordinator is stopping). */
  flushRefusals(): void {
    this.refusals.flush();
  }

  open<T>(
    context: SigningContextName,
    codec: MessageCodec<T>,
    envelope: SignedEnvelope | undefined,
    role: MemberRole,
    call?: PeerCall,
  ): { message: T; member: Member } {
    try {
      const peer = call ? this.peer(call) : undefined;
      const member =
        envelope && envelope.signerPublicKey.length === 32
          ? this.members.bySigningKey(envelope.signerPublicKey)
          : undefined;
      const { message } = openMessage(context, codec, envelope, () => member !== undefined);
      if (member!.role !== role) {
        throw new HeflError(
          'permission_denied',
          `${member!.id} is a ${member!.role}; ${context} needs a ${role}`,
          {
            publicDetail: `this request needs the ${role} role, the signer is a ${member!.role}`,
          },
        );
      }
      if (peer && peer.id !== member!.id) {
        throw new HeflError(
          'permission_denied',
          `TLS peer ${peer.id} sent a message signed by ${member!.id}`,
          {
            publicDetail: 'the TLS client certificate and the signing key belong to different members',
          },
        );
      }
      this.observer?.contact(member!.id, call ? certificateExpiry(call) : undefined);
      return { message, member: member! };
    } catch (error) {
      this.refused(envelope, context, error);
      throw error;
    }
  }

  /**
   * For calls without a signed payload (status reads, downloads): the TLS client
   * certificate must belong to an admitted, unrevoked member with one of `roles`.
   * On plaintext test transports (no certificates required) this admits the call.
   */
  requirePeer(call: PeerCall, roles: readonly MemberRole[], request: string): Member | undefined {
    try {
      const peer = this.peer(call);
      if (peer && !roles.includes(peer.role)) {
        throw new HeflError(
          'permission_denied',
          `${peer.id} is a ${peer.role}; ${request} needs ${roles.join(' or ')}`,
          {
            publicDetail: `this request needs the ${roles.join(' or ')} role`,
          },
        );
      }
      if (peer) this.observer?.contact(peer.id, certificateExpiry(call));
      return peer;
    } catch (error) {
      this.refused(undefined, request, error);
      throw error;
    }
  }

  private peer(call: PeerCall): Member | undefined {
    if (!this.members.requiresPeerCertificate) return undefined;
    const fingerprint = peerCertificateFingerprint(call);
    if (!fingerprint)
      throw new HeflError('unauthenticated', 'no TLS client certificate', {
        publicDetail: 'a TLS client certificate is required',
      });
    const member = this.members.byTlsFingerprint(fingerprint);
    if (!member)
      throw new HeflError('unauthenticated', `unknown TLS certificate ${fingerprint.slice(0, 16)}`, {
        publicDetail: 'TLS certificate is not admitted',
      });
    if (member.revoked)
      throw new HeflError('permission_denied', `${member.id} is revoked`, {
        publicDetail: 'member is revoked',
      });
    return member;
  }

  /**
   * Records a refused request (who signed it and the reason, cut to a bounded length; never
   * the payload). Repeated refusals of one member within a minute become one counted entry.
   */
  refused(
    envelope: SignedEnvelope | undefined,
    context: string,
    error: unknown,
    action = 'request.refused',
  ): void {
    const key = envelope?.signerPublicKey?.length === 32 ? envelope.signerPublicKey : undefined;
    // A member's key is recorded as that member (the sink writes its key id and name);
    // any other key by its key id.
    const member = key ? this.members.bySigningKey(key)?.id : undefined;
    const signer = member ?? (key ? keyId(key) : 'unknown');
    const reason = error instanceof HeflError ? `${error.code}: ${error.message}` : 'internal error';
    this.observer?.refused(error instanceof HeflError ? error.code : 'internal', signer);
    // Keys outside the federation cost nothing to make: they share one window.
    this.refusals.record(member ?? 'unknown', {
      actor: signer,
      action,
      details: { request: boundedText(context), reason },
    });
  }
}

/** The client certificate's expiry on this call (epoch ms), if it has one. */
function certificateExpiry(call: PeerCall): number | undefined {
  const validTo = call.getAuthContext()?.sslPeerCertificate?.valid_to;
  const ms = validTo ? Date.parse(validTo) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
