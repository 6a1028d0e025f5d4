import { randomBytes } from 'node:crypto';
import { sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import type { EventLog } from '../../common/log/event-log.js';
import { frameSection } from '../../common/protocol/section-framing.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { Clock } from '../../common/time/clock.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { type RoundSummary, UpdateHeader } from '../../proto/gen/hefl/v1/messages.js';
import type { SiteAudit } from '../site-audit.js';
import type { SiteKeys } from '../site-keys.js';
import { type MaskFilter, MIN_MASK_MEMBERS } from './mask-filter.js';

export interface MaskCorrectionDeps {
  readonly keys: SiteKeys;
  readonly audit: SiteAudit;
  readonly clock: Clock;
  readonly client: { upload(header: SignedEnvelope, parts: readonly Uint8Array[]): Promise<SignedEnvelope> };
  readonly log: EventLog;
}

/**
 * The site's answer to a coordinator's signed request for mask corrections (a RoundSummary
 * with `maskCorrection`, already verified against the coordinator's key by the caller):
 * the sites U whose updates are in the sum are named; every site this one masked with and
 * that is not in U dropped. It sends, encrypted and signed, minus the sum of its masks with
 * the dropped sites, which the coordinator adds to the aggregate so the masks cancel.
 *
 * It answers only when (refusals are audited as `site.mask-correction-refused`, then throw):
 * - this site masked an update for that round attempt and U lists it (its update is in the sum:
 *   `checkIncluded` verifies the Merkle root against its receipt);
 * - U is a subset of the members it masked with and leaves at least one out;
 * - |U| >= max(minSites, 3): a coordinator claiming that all but the victim and a colluder
 *   dropped would otherwise cancel every mask but the colluder's, which the colluder knows;
 * - it has not answered another U for the same round attempt (a second correction with
 *   another U would reveal the masks with the sites the two sets differ in). The same U
 *   again (a coordinator that restarted and lost the correction) gets the same correction,
 *   freshly encrypted: it reveals nothing the first did not. The record is in memory; a
 *   restarted site has also lost the masks of the run and answers nothing for it.
 * Masks of different attempts of a round are independent draws, so each attempt gets at
 * most one correction.
 */
export class MaskCorrectionResponder {
  /** The U answered, by `round/attempt`, as a sorted comma-joined list. */
  private readonly answered = new Map<string, string>();

  constructor(
    private readonly deps: MaskCorrectionDeps,
    private readonly job: { jobId: string; minSites: number },
    private readonly masks: MaskFilter,
  ) {}

  /** Fewest sites U must name: the job's minSites, never fewer than this site plus two. */
  get threshold(): number {
    return Math.max(this.job.minSites, MIN_MASK_MEMBERS);
  }

  async answer(
    request: RoundSummary,
    cipher: SiteVectorCipher,
    checkIncluded: (request: RoundSummary) => void,
  ): Promise<void> {
    const { round, attempt } = request;
    const self = this.deps.keys.siteId;
    const included = [...new Set(request.participants)].sort();
    const key = `${round}/${attempt}`;
    const earlier = this.answered.get(key);
    const same = earlier === included.join(',');
    if (same) this.deps.log('mask.correction-repeated', { job: this.jobId, round, attempt });
    const run = this.masks.maskedRun(round, attempt);
    const t = cipher.plainModulus;
    const dropped = run ? run.members.filter((s) => !included.includes(s)) : [];
    const problem =
      earlier !== undefined && !same
        ? `a correction for round ${round} attempt ${attempt} was already sent for another set of sites`
        : !run || t === undefined
          ? 'this site sent no masked update for this round attempt'
          : !included.includes(self)
            ? "the request does not count this site's update"
            : included.some((s) => !run.members.includes(s))
              ? 'the request names a site the round was not opened with'
              : included.length < this.threshold
                ? `the request names ${included.length} sites in the sum, corrections need at least ${this.threshold}`
                : dropped.length === 0
                  ? 'the request names no site that dropped'
                  : inclusionProblem(request, checkIncluded);
    if (problem || !run || t === undefined) {
      this.deps.audit.record('site.mask-correction-refused', {
        jobId: this.job.jobId,
        round,
        attempt,
        included,
        reason: problem ?? 'no masked run',
      });
      throw new HeflError('integrity', `round ${round}: no mask correction: ${problem}`);
    }
    // Recorded before anything leaves: a second request can never get a second answer.
    this.answered.set(key, included.join(','));
    const sections = [...run.sections].map(([name, length]) => ({
      name,
      batch: cipher.encryptIntegers(
        new BigInt64Array(length),
        1,
        this.masks.correction(round, attempt, name, dropped, length, t),
      ),
    }));
    const framed = sections.map(frameSection);
    const header = signMessage(
      SigningContext.updateHeader,
      UpdateHeader,
      {
        jobId: this.job.jobId,
        round,
        siteId: self,
        nonce: randomBytes(16),
        sections: framed.map((f) => f.layout),
        payloadDigest: Buffer.from(sha256(...framed.flatMap((f) => f.bytes))),
        sentAtMs: this.deps.clock.now(),
        attempt,
        maskCorrection: true,
      },
      this.deps.keys.signingSecretKey,
    );
    this.deps.audit.record('site.mask-correction-sent', {
      jobId: this.job.jobId,
      round,
      attempt,
      included,
      dropped,
      correctionDigest: toHex(sha256(header.payload)),
    });
    await this.deps.client.upload(
      header,
      framed.flatMap((f) => f.bytes),
    );
    this.deps.log('mask.correction-sent', { job: this.jobId, round, attempt, dropped: dropped.length });
  }

  private get jobId(): string {
    return this.job.jobId;
  }
}

function inclusionProblem(request: RoundSummary, check: (request: RoundSummary) => void): string | undefined {
  try {
    check(request);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
