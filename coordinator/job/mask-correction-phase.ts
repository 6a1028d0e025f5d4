import { fromHex, merkleRoot, sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { PreparedContribution } from '../../common/he/index.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import type { SectionLayout } from '../../common/protocol/section-framing.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { Receipt, RoundSummary, type UpdateHeader } from '../../proto/gen/hefl/v1/messages.js';
import { checkNonce } from '../members/message-freshness.js';
import { roundClosedTask } from './job-tasks.js';
import { type AggregationDeps, type ReceivedUpload, sectionBatches } from './round-aggregation.js';
import type { RoundRecord } from './round-record.js';
import type { TaskHub } from './task-hub.js';

/** Whether a round must collect mask corrections before it closes: masked, and someone expected dropped. */
export function needsMaskCorrection(spec: JobSpec, round: RoundRecord): boolean {
  return (
    spec.he.masks === 'pairwise' &&
    round.uploads.size > 0 &&
    round.participants.some((site) => !round.uploads.has(site))
  );
}

/**
 * Test-only fault injection: a scripted malicious coordinator. Given the honest request of a
 * round's correction phase (U = `contributors`), it returns the requests to send instead, in
 * order: each names a U (sites with an update in the round) and its recipients, and is
 * signed with the coordinator's real key, as a dishonest coordinator would. Only tests and
 * the composition root (from its options) set it; a deployment sends the honest request.
 */
export type ScriptCorrectionRequests = (honest: {
  readonly jobId: string;
  readonly round: number;
  readonly attempt: number;
  readonly contributors: readonly string[];
  readonly dropped: readonly string[];
}) => readonly { readonly to: readonly string[]; readonly participants: readonly string[] }[];

/**
 * The extra exchange of a masked round in which some expected site sent nothing: the
 * coordinator signs a request naming U (the contributors, with their update digests and
 * Merkle root, and the absent sites), sends it to every site in U, and adds each site's
 * encrypted correction (minus its masks with the dropped sites) into the round's sums. It
 * ends when every site in U has corrected or at the deadline; a round missing a correction
 * then closes as before (its sum fails the sites' check, and the round is re-run without the
 * dropped sites). It only adds ciphertexts and never learns a mask.
 *
 * Late updates stay refused meanwhile: the round is no longer collecting.
 */
export class MaskCorrectionPhase {
  private readonly corrected = new Set<string>();
  private readonly usedNonces = new Set<string>();
  private timer: { cancel(): void } | undefined;
  private ended = false;

  constructor(
    private readonly deps: AggregationDeps & {
      readonly hub: TaskHub;
      readonly scriptCorrectionRequests?: ScriptCorrectionRequests;
    },
    private readonly job: { readonly id: string; readonly spec: JobSpec },
    readonly round: RoundRecord,
    /** Called once: all corrections are in, or the deadline passed. */
    private readonly onEnd: () => void,
  ) {}

  get done(): boolean {
    return this.ended;
  }

  /** Signs and sends the request to every contributor, and starts the correction deadline. */
  start(): void {
    const { round } = this;
    const contributors = round.contributors;
    const dropped = round.participants.filter((s) => !round.uploads.has(s));
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.mask-correction-requested',
      details: {
        jobId: this.job.id,
        round: round.round,
        attempt: round.attempt,
        participants: contributors,
        dropped,
      },
    });
    const plan = this.deps.scriptCorrectionRequests?.({
      jobId: this.job.id,
      round: round.round,
      attempt: round.attempt,
      contributors,
      dropped,
    }) ?? [{ to: contributors, participants: contributors }];
    this.timer = this.deps.clock.schedule(this.job.spec.roundDeadlineSeconds * 1000, () => this.end());
    for (const { to, participants } of plan) {
      const request = this.signRequest(participants);
      for (const site of to) this.deps.hub.send(site, roundClosedTask(this.job.id, round, request));
    }
  }

  /** The signed request naming `participants` as U, with their update digests and Merkle root. */
  private signRequest(participants: readonly string[]): SignedEnvelope {
    const { round } = this;
    const digests = participants.map((s) => {
      const upload = round.uploads.get(s);
      if (!upload) throw new HeflError('invalid_argument', `${s} has no update in round ${round.round}`);
      return fromHex(upload.updateDigest);
    });
    return signMessage(
      SigningContext.roundSummary,
      RoundSummary,
      {
        jobId: this.job.id,
        round: round.round,
        participants: [...participants],
        updateDigests: digests.map((d) => Buffer.from(d)),
        merkleRoot: Buffer.from(merkleRoot(digests)),
        sections: [],
        aggregateDigest: Buffer.alloc(0),
        closedAtMs: this.deps.clock.now(),
        absent: round.absent.map((a) => ({ siteId: a.siteId, reason: a.reason })),
        auditHeadJson: Buffer.from(this.deps.audit.headJson?.() ?? new Uint8Array()),
        attempt: round.attempt,
        probe: 0,
        maskCorrection: true,
      },
      this.deps.keys.signingSecretKey,
    );
  }

  /** Checks a correction's signed header before its bytes are read. */
  checkHeader(siteId: string, header: UpdateHeader): RoundRecord {
    const { round } = this;
    if (this.ended || header.round !== round.round || header.attempt !== round.attempt)
      throw new HeflError('failed_precondition', `no mask correction is open for round ${header.round}`, {
        publicDetail: 'no mask correction is open for this round',
      });
    if (!round.uploads.has(siteId))
      throw new HeflError('permission_denied', `${siteId} has no update in round ${round.round}`, {
        publicDetail: 'only sites whose update is in the sum send a correction',
      });
    if (this.corrected.has(siteId))
      throw new HeflError('already_exists', `${siteId} already corrected round ${round.round}`, {
        publicDetail: 'a correction for this round was already accepted',
      });
    checkNonce('update', header.nonce);
    if (this.usedNonces.has(Buffer.from(header.nonce).toString('hex')))
      throw new HeflError('replay', 'correction nonce reused', { publicDetail: 'nonce already used' });
    const shape = (l: readonly { name: string; valueCount: number }[]) =>
      l.map((s) => `${s.name}:${s.valueCount}`).join();
    if (shape(header.sections) !== shape(round.layout ?? []))
      throw new HeflError('invalid_argument', 'correction sections differ from the round’s', {
        publicDetail: 'correction sections differ from the round’s updates',
      });
    return round;
  }

  /** Adds a received correction to the round's sums; returns the signed receipt. */
  async add(upload: ReceivedUpload): Promise<SignedEnvelope> {
    const { siteId, header, headerBytes, layout, blob } = upload;
    const { round } = this;
    this.checkHeader(siteId, header);
    const bytes = await this.deps.blobs.read(blob.digest);
    const prepared: { name: string; contribution: PreparedContribution }[] = [];
    try {
      for (const { section, batch } of sectionBatches(layout as SectionLayout[], bytes)) {
        const sum = round.sums.get(section.name);
        if (!sum) throw new HeflError('invalid_argument', `no sum for section ${section.name}`);
        prepared.push({ name: section.name, contribution: sum.prepare(batch) });
      }
    } catch (error) {
      for (const p of prepared) p.contribution.discard();
      throw error;
    }
    this.checkHeader(siteId, header); // the phase may have ended while the blob was read
    for (const p of prepared) round.sums.get(p.name)!.commit(p.contribution);
    this.corrected.add(siteId);
    this.usedNonces.add(Buffer.from(header.nonce).toString('hex'));
    const correctionDigest = toHex(sha256(headerBytes));
    this.deps.audit.append({
      actor: siteId,
      action: 'round.mask-corrected',
      details: {
        jobId: this.job.id,
        round: round.round,
        attempt: round.attempt,
        site: siteId,
        correctionDigest,
      },
    });
    // Summed: the bytes are not needed again (a re-run discards the round's sums anyway).
    await this.deps.blobs.delete(blob.digest).catch(() => {});
    const receipt = signMessage(
      SigningContext.receipt,
      Receipt,
      {
        jobId: this.job.id,
        round: round.round,
        siteId,
        updateDigest: Buffer.from(fromHex(correctionDigest)),
        acceptedAtMs: this.deps.clock.now(),
        byteLength: blob.size,
        auditHeadJson: Buffer.from(this.deps.audit.headJson?.() ?? new Uint8Array()),
      },
      this.deps.keys.signingSecretKey,
    );
    if (round.contributors.every((s) => this.corrected.has(s))) setImmediate(() => this.end());
    return receipt;
  }

  /** Stops the phase without closing (the job ended). */
  dispose(): void {
    this.ended = true;
    this.timer?.cancel();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.timer?.cancel();
    const missing = this.round.contributors.filter((s) => !this.corrected.has(s));
    if (missing.length > 0)
      this.deps.log?.('round.mask-correction-missing', {
        job: this.job.id,
        round: this.round.round,
        missing,
      });
    this.onEnd();
  }
}
