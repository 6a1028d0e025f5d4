import { bytesEqual, fromHex, merkleRoot, toHex } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import type { EventLog } from '../common/log/event-log.js';
import { openMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { Receipt, type RoundSummary } from '../proto/gen/hefl/v1/messages.js';
import type { CoordinatorClient } from './coordinator-client.js';
import type { SiteAudit } from './site-audit.js';
import type { FederationView } from './site-keys.js';

/**
 * One job's record, at a site, of the updates it sent and the coordinator's signed
 * receipts for them, by round — and the checks that hang on it: is this site's update
 * in a closed round's Merkle root, or does the site only observe that round?
 */
export class UpdateLedger {
  /** The accepted update's digest (hex) per round, from a verified receipt. */
  private readonly receipts = new Map<number, string>();
  /** Digests (hex) of every update header sent per round (a lost reply may need recovering). */
  private readonly sent = new Map<number, Set<string>>();

  constructor(
    private readonly ctx: {
      readonly jobId: string;
      readonly siteId: string;
      readonly federation: FederationView;
      readonly client: CoordinatorClient;
      readonly audit: SiteAudit;
      readonly log: EventLog;
    },
  ) {}

  hasReceipt(round: number): boolean {
    return this.receipts.has(round);
  }

  /** The round's aggregate was invalid and the round re-runs: its update and receipt no longer count. */
  forget(round: number): void {
    this.receipts.delete(round);
    this.sent.delete(round);
  }

  recordSent(round: number, updateDigest: string): void {
    const sent = this.sent.get(round) ?? new Set<string>();
    sent.add(updateDigest);
    this.sent.set(round, sent);
  }

  /** Verifies a receipt (coordinator's signature, job, round, one of our digests) and records it. */
  acceptReceipt(round: number, envelope: SignedEnvelope, ours: ReadonlySet<string>, attempt = 0): void {
    const { coordinatorSigningKey } = this.ctx.federation;
    const { message: receipt } = openMessage(SigningContext.receipt, Receipt, envelope, (pk) =>
      bytesEqual(pk, coordinatorSigningKey),
    );
    const updateDigest = toHex(receipt.updateDigest);
    if (receipt.jobId !== this.ctx.jobId || receipt.round !== round || !ours.has(updateDigest)) {
      throw new HeflError('integrity', `receipt for round ${round} does not match an update this site sent`);
    }
    this.receipts.set(round, updateDigest);
    this.ctx.audit.record('site.receipt', {
      jobId: this.ctx.jobId,
      round,
      updateDigest,
      ...(attempt > 0 ? { attempt } : {}),
    });
    this.ctx.audit.recordHead(receipt.auditHeadJson, coordinatorSigningKey);
  }

  /**
   * When a round closes and this site never got its receipt (the reply was lost, e.g. the
   * coordinator crashed right after storing the update), fetch the stored receipt and
   * accept it only if it names an update this site really sent.
   */
  async recoverReceipt(round: number, attempt = 0): Promise<void> {
    if (this.receipts.has(round)) return;
    const sent = this.sent.get(round);
    if (!sent || sent.size === 0) return;
    const envelope = await this.ctx.client.fetchReceipt(this.ctx.jobId, round, this.ctx.siteId);
    this.acceptReceipt(round, envelope, sent, attempt);
    this.ctx.log('receipt.recovered', { job: this.ctx.jobId, round });
  }

  /**
   * A site with a receipt must find its update in the round, and so must one the round
   * lists after this session sent an update. Otherwise the site applies the aggregate as
   * an observer: it was away or too late, or the round ran before it joined or restarted.
   */
  observes(summary: RoundSummary): boolean {
    const listed = summary.participants.includes(this.ctx.siteId);
    return !this.receipts.has(summary.round) && (!this.sent.has(summary.round) || !listed);
  }

  /** Throws `integrity` unless this site's accepted update is the leaf the round's Merkle root lists for it. */
  checkInclusion(summary: RoundSummary): void {
    const mine = this.receipts.get(summary.round);
    if (!mine)
      throw new HeflError('integrity', `no receipt for round ${summary.round}; cannot check inclusion`);
    const index = summary.participants.indexOf(this.ctx.siteId);
    const leaves = summary.updateDigests.map((d) => new Uint8Array(d));
    if (
      index < 0 ||
      !bytesEqual(leaves[index]!, fromHex(mine)) ||
      !bytesEqual(merkleRoot(leaves), summary.merkleRoot)
    ) {
      throw new HeflError(
        'integrity',
        `round ${summary.round}: this site's accepted update is missing from the round's Merkle root`,
      );
    }
  }
}
