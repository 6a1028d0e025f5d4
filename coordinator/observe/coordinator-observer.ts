import type { EventLog } from '../../common/log/event-log.js';
import type { Clock } from '../../common/time/clock.js';

/** One admitted member as the operator sees it (`hefl federation members`). */
export interface MemberActivity {
  /** Epoch ms of the last request or stream event from the member; null: not seen since start. */
  readonly lastSeenMs: number | null;
  /** The member's TLS client certificate expiry (epoch ms) as last presented; null: not seen. */
  readonly certificateExpiresMs: number | null;
}

/** Counts and events the metrics endpoint and the operator's log are made of. */
export interface ObservedEntry {
  readonly actor: string;
  readonly action: string;
  readonly details: Record<string, unknown>;
}

/** How long before a member's certificate expires the coordinator starts warning (issue 17). */
export const CERTIFICATE_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** A member whose certificate expires within CERTIFICATE_WARNING_DAYS (or has expired). */
export interface ExpiringCertificate {
  readonly member: string;
  readonly expiresMs: number;
  /** Whole days left, rounded down; negative once expired. */
  readonly daysLeft: number;
}

/** Job lifecycle entries echoed to the operator's log (stdout): what changed, never values. */
const LIFECYCLE = new Set([
  'job.submitted',
  'job.accepted',
  'job.declined',
  'job.joined',
  'job.rejoined',
  'key.ceremony',
  'round.opened',
  'round.closed',
  'job.completed',
  'job.failed',
  'job.cancelled',
  'job.refused',
]);

/**
 * What the coordinator saw, for people and monitoring, not for proofs (the audit log is
 * that): who is connected and when each member was last seen, refusals by reason, the
 * durations of closed rounds, and a readable line on stdout for each job lifecycle step,
 * connect, disconnect and refusal. In memory only: it starts empty at every start.
 * Fed by narrow hooks (RequestGuard, TaskHub, the audit sink); never holds payloads.
 */
export class CoordinatorObserver {
  private readonly activity = new Map<string, { lastSeenMs: number; certificateExpiresMs: number | null }>();
  private readonly refusalCounts = new Map<string, number>();
  private readonly roundListeners: ((seconds: number) => void)[] = [];
  /** `member:expiry` pairs already warned about, so a warning is logged once per certificate. */
  private readonly warnedCertificates = new Set<string>();
  readonly startedAtMs: number;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly log: EventLog,
    /** Warn-level operator log (certificates about to expire); defaults to `log`. */
    private readonly warn: EventLog = log,
  ) {
    this.startedAtMs = clock.now();
  }

  /**
   * A member made a request that passed the guard (or opened its task stream). A client
   * certificate that expires within CERTIFICATE_WARNING_DAYS is logged at warn level, once
   * per member and certificate, with the renewal command.
   */
  contact(memberId: string, certificateExpiresMs?: number): void {
    const known = this.activity.get(memberId);
    this.activity.set(memberId, {
      lastSeenMs: this.clock.now(),
      certificateExpiresMs: certificateExpiresMs ?? known?.certificateExpiresMs ?? null,
    });
    if (certificateExpiresMs === undefined) return;
    const daysLeft = this.daysLeft(certificateExpiresMs);
    const key = `${memberId}:${certificateExpiresMs}`;
    if (daysLeft < CERTIFICATE_WARNING_DAYS && !this.warnedCertificates.has(key)) {
      this.warnedCertificates.add(key);
      this.warn('certificate.expiring', {
        member: memberId,
        expires: new Date(certificateExpiresMs).toISOString(),
        daysLeft,
        action: `renew it: hefl site renew on the member, then hefl federation renew ${memberId}`,
      });
    }
  }

  /** Members whose last presented certificate expires within CERTIFICATE_WARNING_DAYS, soonest first. */
  expiringCertificates(): ExpiringCertificate[] {
    return [...this.activity]
      .filter(([, a]) => a.certificateExpiresMs !== null)
      .map(([member, a]) => ({
        member,
        expiresMs: a.certificateExpiresMs as number,
        daysLeft: this.daysLeft(a.certificateExpiresMs as number),
      }))
      .filter((c) => c.daysLeft < CERTIFICATE_WARNING_DAYS)
      .sort((a, b) => a.expiresMs - b.expiresMs);
  }

  private daysLeft(expiresMs: number): number {
    return Math.floor((expiresMs - this.clock.now()) / DAY_MS);
  }

  connected(siteId: string): void {
    this.contact(siteId);
  }

  disconnected(siteId: string): void {
    this.contact(siteId);
    this.log('site.disconnected', { site: siteId });
  }

  /** A request refused by the guard; `reason` is the error code (a small fixed set). */
  refused(reason: string, who: string): void {
    this.refusalCounts.set(reason, (this.refusalCounts.get(reason) ?? 0) + 1);
    this.log('request.refused', { reason, by: who });
  }

  /** An audit entry, once durable: echoes lifecycle steps to the operator's log. */
  audited(entry: ObservedEntry, roundSeconds?: number): void {
    if (!LIFECYCLE.has(entry.action)) return;
    const { jobId, round, reason, participants } = entry.details;
    this.log(entry.action, {
      ...(jobId !== undefined ? { job: jobId } : {}),
      ...(round !== undefined ? { round } : {}),
      ...(entry.actor !== 'coordinator' ? { by: entry.actor } : {}),
      ...(Array.isArray(participants) ? { sites: participants.length } : {}),
      ...(typeof reason === 'string' && reason ? { reason: reason.slice(0, 300) } : {}),
    });
    if (entry.action === 'round.closed' && roundSeconds !== undefined) {
      for (const listener of this.roundListeners) listener(roundSeconds);
    }
  }

  /** Called with each closed round's duration (seconds, open to close). */
  onRoundClosed(listener: (seconds: number) => void): void {
    this.roundListeners.push(listener);
  }

  activityOf(memberId: string): MemberActivity {
    const known = this.activity.get(memberId);
    return {
      lastSeenMs: known?.lastSeenMs ?? null,
      certificateExpiresMs: known?.certificateExpiresMs ?? null,
    };
  }

  /** Members seen since start, with when. */
  lastSeen(): ReadonlyMap<string, number> {
    return new Map([...this.activity].map(([id, a]) => [id, a.lastSeenMs]));
  }

  refusals(): ReadonlyMap<string, number> {
    return new Map(this.refusalCounts);
  }
}
