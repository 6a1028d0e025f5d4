import { fromHex, merkleRoot, sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { CiphertextBatch, PreparedContribution, VectorAdder, VectorSum } from '../../common/he/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import {
  frameSection,
  layoutFromProto,
  type SectionLayout,
  unframeSection,
} from '../../common/protocol/section-framing.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { Clock } from '../../common/time/clock.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { Receipt, RoundSummary, type UpdateHeader } from '../../proto/gen/hefl/v1/messages.js';
import type { CoordinatorKeys } from '../members/coordinator-keys.js';
import { checkNonce, checkSentAt } from '../members/message-freshness.js';
import type { AuditSink } from '../storage/audit-sink.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { JobStore } from '../storage/job-store.js';
import { checkExpectedLayout } from './expected-round-layout.js';
import type { JobView } from './job-view.js';
import { type AcceptedUpload, type RoundRecord, storedRound } from './round-record.js';

/**
 * Test-only fault injection: awaited when a round starts aggregating, before anything is
 * written, so a test can cancel the job or kill the coordinator while the round is in
 * 'aggregating'. Only tests and the composition root (from its options) set it.
 */
export type HoldAggregation = (round: { readonly jobId: string; readonly round: number }) => Promise<void>;

export interface AggregationDeps {
  readonly clock: Clock;
  readonly blobs: BlobStore;
  readonly audit: AuditSink;
  readonly keys: CoordinatorKeys;
  readonly adder: VectorAdder;
  readonly store: JobStore;
  readonly log?: EventLog;
  /** Tests only (see HoldAggregation); absent in a deployment. */
  readonly holdAggregation?: HoldAggregation;
}

/** A fully received, digest-checked update: its signed header, sections and blob. */
export interface ReceivedUpload {
  readonly siteId: string;
  readonly header: UpdateHeader;
  /** The encoded, signed header (its SHA-256 is the update digest). */
  readonly headerBytes: Uint8Array;
  readonly layout: SectionLayout[];
  readonly blob: { digest: string; size: number };
}

/** What aggregation reads of its job (the layout fixed before round 0 fixes every upload's sizes). */
export type AggregatingJob = Pick<
  JobView,
  'id' | 'spec' | 'state' | 'currentRound' | 'rounds' | 'roundLengths' | 'isFinished'
>;

/**
 * The ciphertext side of a job's rounds: checks updates, adds them to the round's sums as
 * they arrive, and closes a round into a signed summary and an aggregate blob. It only
 * adds; it has nothing to decrypt with.
 */
export class RoundAggregation {
  constructor(
    private readonly deps: AggregationDeps,
    private readonly job: AggregatingJob,
    /** Closes a round whose participants have all uploaded (after the last receipt is sent). */
    private readonly closeWhenComplete: (round: RoundRecord) => void,
  ) {}

  /** Fast checks on a signed update header, before any data is read. */
  checkUploadHeader(siteId: string, header: UpdateHeader): RoundRecord {
    const { id, state } = this.job;
    const round = this.job.currentRound;
    if (state !== 'running' || !round) {
      throw new HeflError('failed_precondition', `job ${id} is ${state}`, {
        publicDetail: `job is ${state}`,
      });
    }
    if (header.round !== round.round) {
      throw new HeflError(
        'failed_precondition',
        `update for round ${header.round}, current round is ${round.round}`,
        {
          publicDetail: `round ${header.round} is not the current round (${round.round})`,
        },
      );
    }
    if ((header.attempt ?? 0) !== round.attempt) {
      throw new HeflError(
        'failed_precondition',
        `update for attempt ${header.attempt} of round ${round.round}, current attempt is ${round.attempt}`,
        {
          publicDetail: `round ${round.round} is in attempt ${round.attempt} (re-run after an invalid aggregate)`,
        },
      );
    }
    if (round.state !== 'collecting') {
      throw new HeflError('deadline_exceeded', `round ${round.round} is closed`, {
        publicDetail: `round ${round.round} already closed (deadline passed or all updates in)`,
      });
    }
    if (!round.participants.includes(siteId)) {
      throw new HeflError('permission_denied', `${siteId} is not a participant of round ${round.round}`, {
        publicDetail: 'not a participant of this round',
      });
    }
    checkNonce('update', header.nonce);
    if (round.usedNonces.has(Buffer.from(header.nonce).toString('hex'))) {
      throw new HeflError('replay', 'update nonce reused', { publicDetail: 'nonce already used' });
    }
    checkSentAt('update', header.sentAtMs, this.deps.clock.now());
    // The job, not the first uploader, fixes what a round's update looks like.
    const lengths = this.job.roundLengths;
    if (!lengths) {
      throw new HeflError('failed_precondition', `job ${id} has no fixed round layout`, {
        publicDetail: 'the job has no fixed round layout',
      });
    }
    checkExpectedLayout(
      this.job.spec,
      round.round,
      header.sections.map(layoutFromProto),
      this.deps.adder,
      lengths,
      siteId,
    );
    return round;
  }

  /** Adds a fully received, digest-checked update to the current round's sums; returns the signed receipt. */
  async addUpload(upload: ReceivedUpload): Promise<SignedEnvelope> {
    const { siteId, header, headerBytes, layout, blob } = upload;
    const { id } = this.job;
    const round = this.checkUploadHeader(siteId, header);
    const updateDigest = toHex(sha256(headerBytes));
    const previous = round.uploads.get(siteId);
    if (previous) {
      if (previous.updateDigest === updateDigest) return previous.receipt; // idempotent resubmission
      throw new HeflError('already_exists', `${siteId} already submitted round ${round.round}`, {
        publicDetail: 'an update for this round was already accepted',
      });
    }
    this.checkLayout(round, layout);
    const bytes = await this.deps.blobs.read(blob.digest);
    const prepared: { name: string; contribution: PreparedContribution }[] = [];
    try {
      for (const { section, batch } of sectionBatches(layout, bytes)) {
        const sum = sumFor(round, section, this.deps.adder);
        prepared.push({ name: section.name, contribution: sum.prepare(batch) });
      }
    } catch (error) {
      for (const p of prepared) p.contribution.discard();
      throw error;
    }
    // Re-check after the await: the round may have closed while we read the blob.
    this.checkUploadHeader(siteId, header);
    for (const p of prepared) round.sums.get(p.name)!.commit(p.contribution);
    if (!round.layout) {
      round.layout = layout;
      this.persistRound(round);
    }
    round.usedNonces.add(Buffer.from(header.nonce).toString('hex'));
    // Durable audit entry first: the receipt (and the head it carries) must never
    // acknowledge something the log could lose.
    this.deps.audit.append({
      actor: siteId,
      action: 'update.accepted',
      details: {
        jobId: id,
        round: round.round,
        site: siteId,
        updateDigest,
        bytes: blob.size,
        ...(round.attempt > 0 ? { attempt: round.attempt } : {}),
      },
    });
    const receipt = signMessage(
      SigningContext.receipt,
      Receipt,
      {
        jobId: id,
        round: round.round,
        siteId,
        updateDigest: Buffer.from(fromHex(updateDigest)),
        acceptedAtMs: this.deps.clock.now(),
        byteLength: blob.size,
        auditHeadJson: Buffer.from(this.deps.audit.headJson?.() ?? new Uint8Array()),
      },
      this.deps.keys.signingSecretKey,
    );
    const accepted: AcceptedUpload = {
      siteId,
      updateDigest,
      blobDigest: blob.digest,
      byteLength: blob.size,
      receipt,
    };
    this.deps.store.saveUpload(id, {
      round: round.round,
      siteId,
      updateDigest,
      blobDigest: blob.digest,
      byteLength: blob.size,
      nonceHex: Buffer.from(header.nonce).toString('hex'),
      receipt,
    });
    round.uploads.set(siteId, accepted);
    // Close after this reply: the last uploader gets its receipt even if aggregation fails.
    if (round.allUploaded()) setImmediate(() => this.closeWhenComplete(round));
    return receipt;
  }

  private checkLayout(round: RoundRecord, layout: SectionLayout[]): void {
    const { spec } = this.job;
    for (const section of layout) {
      if (section.profileId !== spec.he.profile) {
        throw new HeflError('profile_mismatch', `section ${section.name} uses profile ${section.profileId}`, {
          publicDetail: `the job's HE profile is ${spec.he.profile}`,
        });
      }
    }
    const expected = round.layout;
    if (!expected) return;
    const shape = (l: readonly SectionLayout[]) => l.map((s) => `${s.name}:${s.valueCount}:${s.form}`).join();
    if (shape(expected) !== shape(layout)) {
      throw new HeflError('invalid_argument', 'update sections differ from the round’s', {
        publicDetail: 'section layout differs from the other sites’',
      });
    }
  }

  /**
   * Closes a collecting round: writes its sums as the aggregate blob, then signs the
   * RoundSummary (contributors, their update digests and Merkle root, absent sites).
   */
  /**
   * Sums the round into an aggregate blob and signs its summary. Returns undefined, having
   * written and signed nothing, when the job ended meanwhile (cancelled while aggregating):
   * a round of an ended job is never closed.
   */
  async close(round: RoundRecord): Promise<SignedEnvelope | undefined> {
    const { id } = this.job;
    round.state = 'aggregating';
    round.timer?.cancel();
    this.deps.log?.('round.aggregating', { job: id, round: round.round, updates: round.uploads.size });
    if (this.deps.holdAggregation) await this.deps.holdAggregation({ jobId: id, round: round.round });
    if (this.job.isFinished()) return undefined;
    const writer = await this.deps.blobs.createWriter();
    const sections: SectionLayout[] = [];
    try {
      for (const section of round.layout ?? []) {
        // The job's end frees the sums: stop rather than read a freed one.
        if (this.job.isFinished()) {
          await writer.abort();
          return undefined;
        }
        const framed = frameSection({ name: section.name, batch: round.sums.get(section.name)!.result() });
        for (const part of framed.bytes) await writer.write(part);
        sections.push(framed.layout);
      }
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const blob = await writer.finish();
    if (this.job.isFinished()) return undefined;
    round.freeSums();
    const contributors = round.contributors;
    const digests = contributors.map((s) => fromHex(round.uploads.get(s)!.updateDigest));
    const root = merkleRoot(digests);
    round.closedAt = this.deps.clock.now();
    round.aggregateDigest = blob.digest;
    round.aggregateBytes = blob.size;
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.closed',
      details: {
        jobId: id,
        round: round.round,
        ...(round.attempt > 0 ? { attempt: round.attempt } : {}),
        participants: contributors,
        updateDigests: digests.map(toHex),
        merkleRoot: toHex(root),
        aggregateDigest: blob.digest,
        absent: round.absent,
      },
    });
    const summary = signMessage(
      SigningContext.roundSummary,
      RoundSummary,
      {
        jobId: id,
        round: round.round,
        participants: contributors,
        updateDigests: digests.map((d) => Buffer.from(d)),
        merkleRoot: Buffer.from(root),
        sections,
        aggregateDigest: Buffer.from(fromHex(blob.digest)),
        closedAtMs: round.closedAt,
        absent: round.absent.map((a) => ({ siteId: a.siteId, reason: a.reason })),
        auditHeadJson: Buffer.from(this.deps.audit.headJson?.() ?? new Uint8Array()),
        attempt: round.attempt,
        probe: 0,
      },
      this.deps.keys.signingSecretKey,
    );
    round.summary = summary;
    round.state = 'closed';
    this.persistRound(round);
    return summary;
  }

  private persistRound(round: RoundRecord): void {
    this.deps.store.saveRound(this.job.id, storedRound(round));
  }
}

/** Each section of an update (or aggregate) blob with its ciphertext batch, in layout order. */
export function* sectionBatches(
  layout: readonly SectionLayout[],
  bytes: Uint8Array,
): Generator<{ section: SectionLayout; batch: CiphertextBatch }> {
  let offset = 0;
  for (const section of layout) {
    const { batch } = unframeSection(section, bytes.subarray(offset, offset + section.byteLength));
    offset += section.byteLength;
    yield { section, batch };
  }
}

/** The round's running sum for a section, started on first use. */
export function sumFor(round: RoundRecord, section: SectionLayout, adder: VectorAdder): VectorSum {
  let sum = round.sums.get(section.name);
  if (!sum) {
    sum = adder.startSum(section.valueCount);
    round.sums.set(section.name, sum);
  }
  return sum;
}
