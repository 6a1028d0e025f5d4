import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyId } from '../../common/crypto/index.js';
import type { Member } from '../members/member-directory.js';
import type { AuditSink } from './audit-sink.js';

/** Small state file: the members as of the last audited manifest (public data only). */
const STATE_FILE = 'audited-members.json';

interface AuditedMember {
  readonly id: string;
  readonly role: string;
  readonly keyId: string;
  readonly revoked: boolean;
}

/**
 * Records federation changes (admissions, revocations) in the coordinator's audit log.
 * `hefl federation admit|revoke` may run while the daemon is stopped, and the daemon is
 * the log's only writer (two writers would fork the hash chain), so the daemon diffs the
 * manifest against the last one it audited — at start-up and on every reload — and logs
 * what changed since.
 */
export class FederationChangeRecorder {
  private readonly statePath: string;

  constructor(
    dir: string,
    private readonly audit: AuditSink,
  ) {
    this.statePath = join(dir, STATE_FILE);
  }

  record(members: readonly Member[]): void {
    const before = new Map(this.readState().map((m) => [m.id, m]));
    const now: AuditedMember[] = members.map((m) => ({
      id: m.id,
      role: m.role,
      keyId: keyId(m.signingPublicKey),
      revoked: m.revoked,
    }));
    for (const member of now) {
      const previous = before.get(member.id);
      if (!previous) {
        this.audit.append({
          actor: 'coordinator',
          action: 'federation.admit',
          details: { member: member.id, role: member.role, memberKey: member.keyId },
        });
      }
      if (member.revoked && !previous?.revoked) {
        this.audit.append({
          actor: 'coordinator',
          action: 'federation.revoke',
          details: { member: member.id, role: member.role, memberKey: member.keyId },
        });
      }
    }
    const tmp = `${this.statePath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(now, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, this.statePath);
  }

  private readState(): AuditedMember[] {
    try {
      return JSON.parse(readFileSync(this.statePath, 'utf8')) as AuditedMember[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
