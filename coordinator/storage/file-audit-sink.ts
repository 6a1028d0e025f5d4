import type { AuditAction } from '../../common/audit/audit-entry.js';
import type { AuditLogWriter } from '../../common/audit/audit-log-writer.js';
import { keyId } from '../../common/crypto/index.js';
import type { MemberDirectory } from '../members/member-directory.js';
import type { AuditSink } from './audit-sink.js';

/**
 * The coordinator's audit log on disk: hash-chained, signed, fsynced per entry. Actors
 * are recorded as key ids (member ids resolved through the manifest), so an auditor can
 * tie every entry to a key in the federation manifest.
 */
export class FileAuditSink implements AuditSink {
  constructor(
    private readonly writer: AuditLogWriter,
    private readonly members: MemberDirectory,
  ) {}

  append(entry: { actor: string; action: string; cause?: number | null; details: Record<string, unknown> }): {
    seq: number;
  } {
    const member = this.members.byId(entry.actor);
    const actor = member ? keyId(member.signingPublicKey) : entry.actor;
    const details = member ? { member: member.id, ...entry.details } : entry.details;
    const written = this.writer.append({
      actor,
      action: entry.action as AuditAction,
      cause: entry.cause ?? null,
      details: details as never,
    });
    return { seq: written.seq };
  }

  headJson(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.writer.head()));
  }
}
