import type { EventLog } from '../../common/log/event-log.js';
import type { Clock } from '../../common/time/clock.js';
import type { JobOffer } from '../../proto/gen/hefl/v1/services.js';
import type { PendingOffer } from './pending-offers.js';

/** What the waiter reads (the site folder's approvals file) and writes (its pending list). */
export interface ApprovalWaiterDeps {
  readonly clock: Clock;
  readonly decisions: {
    approved(): Promise<ReadonlySet<string>>;
    declined?(): Promise<ReadonlySet<string>>;
  };
  /** Publishes the offers held now (`pending-approvals.json`); absent: kept in memory only. */
  readonly publish?: (offers: readonly PendingOffer[]) => Promise<void>;
  /** Hands an offer back to the node once its operator decided; the node answers it again. */
  readonly redeliver: (offer: JobOffer) => void;
  readonly log: EventLog;
  /** How often the approvals file is read while an offer waits (default 1000 ms). */
  readonly pollMs?: number;
}

/**
 * Holds job offers that wait for hospital IT's explicit approval (`approval: explicit`)
 * and hands each back to the node once `hefl site approve` or `decline` names its hash.
 *
 * The CLI reaches the running node through the site folder only: it writes
 * `approvals.json` (under a lock), and this waiter reads it every `pollMs` while an offer
 * waits (no polling otherwise). So the node opens no local socket or port, and an approval
 * given while the node is down counts at the next offer. An offer stays held until the job
 * ends (the coordinator says so) or the node stops; the coordinator's recruiting deadline
 * decides when the job stops waiting for it. A failing read is logged and retried.
 */
export class ApprovalWaiter {
  private readonly held = new Map<string, { offer: JobOffer; entry: PendingOffer }>();
  private timer: { cancel(): void } | undefined;
  private stopped = false;
  private published: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ApprovalWaiterDeps) {}

  /** Holds `offer` (again: keeps the first entry) and starts polling. */
  async hold(offer: JobOffer, entry: PendingOffer): Promise<void> {
    if (this.stopped) return;
    const known = this.held.get(offer.jobId);
    this.held.set(offer.jobId, { offer, entry: known?.entry ?? entry });
    if (!known) {
      this.deps.log('job.awaiting-approval', {
        job: offer.jobId,
        jobHash: offer.jobHash,
        whatToDo: `hefl site approve ${offer.jobHash} (or hefl site decline) in this site's folder`,
      });
      await this.publish();
    }
    this.schedule();
  }

  /** The job ended (or was answered some other way): stop holding its offer. */
  async release(jobId: string): Promise<void> {
    if (this.held.delete(jobId)) await this.publish();
  }

  /** The offers held now. */
  pending(): PendingOffer[] {
    return [...this.held.values()].map((h) => h.entry);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.stopped || this.held.size === 0) return;
    this.timer = this.deps.clock.schedule(this.deps.pollMs ?? 1000, () => {
      this.timer = undefined;
      void this.check().finally(() => this.schedule());
    });
  }

  /** Reads the operator's decisions; every held offer they name goes back to the node. */
  async check(): Promise<void> {
    let approved: ReadonlySet<string>;
    let declined: ReadonlySet<string>;
    try {
      approved = await this.deps.decisions.approved();
      declined = (await this.deps.decisions.declined?.()) ?? new Set();
    } catch (error) {
      this.deps.log('approvals.unreadable', {
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    const decided = [...this.held.values()].filter(
      (h) => approved.has(h.offer.jobHash) || declined.has(h.offer.jobHash),
    );
    if (decided.length === 0 || this.stopped) return;
    for (const { offer } of decided) this.held.delete(offer.jobId);
    await this.publish();
    for (const { offer } of decided) {
      this.deps.log(approved.has(offer.jobHash) ? 'job.approved' : 'job.declined-by-operator', {
        job: offer.jobId,
      });
      this.deps.redeliver(offer);
    }
  }

  private publish(): Promise<void> {
    const { publish } = this.deps;
    if (!publish) return Promise.resolve();
    // One write at a time, in order: the file always ends as the latest list.
    this.published = this.published
      .then(() => publish(this.pending()))
      .catch((error: unknown) =>
        this.deps.log('pending.unwritable', {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    return this.published;
  }
}
