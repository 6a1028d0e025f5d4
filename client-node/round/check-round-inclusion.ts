import type { EventLog } from '../../common/log/event-log.js';
import type { RoundSummary } from '../../proto/gen/hefl/v1/messages.js';
import type { SiteAudit } from '../site-audit.js';
import type { UpdateLedger } from '../update-ledger.js';

/**
 * Whether this site's update is in the closed round: recovers a receipt whose reply was
 * lost (a failure is logged, not fatal), then checks the update is the leaf the round's
 * Merkle root lists for this site (`site.proof-verified`), or finds the site only observes
 * the round (it sent nothing, or the round does not list it). A failed check is recorded
 * (`site.proof-failed`) and thrown. Returns true for an observer.
 */
export async function checkRoundInclusion(
  summary: RoundSummary,
  deps: {
    readonly jobId: string;
    readonly ledger: UpdateLedger;
    readonly audit: SiteAudit;
    readonly log: EventLog;
  },
): Promise<boolean> {
  const { jobId, ledger, audit, log } = deps;
  const { round } = summary;
  await ledger.recoverReceipt(round, summary.attempt).catch((error: unknown) => {
    log('receipt.recovery-failed', { job: jobId, round, error: (error as Error).message.slice(0, 200) });
  });
  const observer = ledger.observes(summary);
  try {
    if (observer) log('round.observed', { job: jobId, round });
    else ledger.checkInclusion(summary);
  } catch (error) {
    audit.record('site.proof-failed', { jobId, round, reason: (error as Error).message });
    throw error;
  }
  if (!observer) {
    audit.record('site.proof-verified', {
      jobId,
      round,
      merkleRoot: Buffer.from(summary.merkleRoot).toString('hex'),
    });
  }
  return observer;
}
