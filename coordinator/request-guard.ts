import { keyId } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import { type MessageCodec, openMessage } from '../common/protocol/signed-message.js';
import type { SigningContextName } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import type { AuditSink } from './audit-sink.js';
import type { Member, MemberDirectory, MemberRole } from './member-directory.js';

/**
 * Every signed request passes here first: the signer must be an admitted, unrevoked
 * member (else 'unauthenticated'), hold the role the request needs (else
 * 'permission_denied'), and the signature must verify — all before the payload is
 * decoded. Refusals are written to the audit log with the signer's key id.
 */
export class RequestGuard {
  constructor(
    private readonly members: MemberDirectory,
    private readonly audit: AuditSink,
  ) {}

  open<T>(
    context: SigningContextName,
    codec: MessageCodec<T>,
    envelope: SignedEnvelope | undefined,
    role: MemberRole,
  ): { message: T; member: Member } {
    try {
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
      return { message, member: member! };
    } catch (error) {
      this.refused(envelope, context, error);
      throw error;
    }
  }

  /** Records a refused request (the signer's key id and the reason; never the payload). */
  refused(
    envelope: SignedEnvelope | undefined,
    context: string,
    error: unknown,
    action = 'request.refused',
  ): void {
    const signer = envelope?.signerPublicKey?.length === 32 ? keyId(envelope.signerPublicKey) : 'unknown';
    const reason = error instanceof HeflError ? `${error.code}: ${error.message}` : 'internal error';
    this.audit.append({ actor: signer, action, details: { request: context, reason } });
  }
}
