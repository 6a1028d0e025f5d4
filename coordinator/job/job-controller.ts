import type { AuditHead } from '../../common/audit/audit-head.js';
import { sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { VectorAdder } from '../../common/he/index.js';
import type { JobSpec, ParsedJob } from '../../common/job/job-spec.js';
import type { SectionLayout } from '../../common/protocol/section-framing.js';
import type { Clock } from '../../common/time/clock.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type {
  JobDecision,
  KeyBundle,
  ModelRelease,
  RoundReport,
  UpdateHeader,
} from '../../proto/gen/hefl/v1/messages.js';
import type { CoordinatorKeys } from '../members/coordinator-keys.js';
import type { MemberDirectory } from '../members/member-directory.js';
import type { AuditSink } from '../storage/audit-sink.js';
import { type BlobStore, isDamagedBlob } from '../storage/blob-store.js';
import type { JobStore } from '../storage/job-store.js';
import { jobEndedTask, keyBundleTask } from './job-tasks.js';
import { ModelReleases } from './model-releases.js';
import { RoundLifecycle } from './round-lifecycle.js';
import type { RoundRecord } from './round-record.js';
import { SiteMembership } from './site-membership.js';
import type { TaskHub } from './task-hub.js';

export type JobState = 'recruiting' | 'keying' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobControllerDeps {
  readonly clock: Clock;
  readonly blobs: BlobStore;
  readonly audit: AuditSink;
  readonly hub: TaskHub;
  readonly members: MemberDirectory;
  readonly keys: CoordinatorKeys;
  readonly adder: VectorAdder;
  readonly store: JobStore;
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * One job's life at the coordinator: recruit sites, relay the key ceremony, then run
 * rounds (open → collecting → aggregating → closed) until the last one is reported.
 * It adds ciphertexts as they arrive and never decrypts: it has nothing to decrypt with.
 *
 * This is the job's state machine; who is in the job lives in SiteMembership, the rounds
 * in RoundLifecycle (which adds with RoundAggregation), the sealed models in ModelReleases.
 */
export class JobController {
  readonly id: string;
  readonly job: ParsedJob;
  readonly submittedBy: string;
  readonly researcherSealingKey: Uint8Array;
  readonly submission: SignedEnvelope;
  state: JobState = 'recruiting';
  reason = '';
  /** Who is in the job and who can open its key (restore-job fills it from the store). */
  readonly membership: SiteMembership;
  /** The sites' sealed final models (restore-job fills it from the store). */
  readonly releases: ModelReleases;
  private readonly lifecycle: RoundLifecycle;
  private timer: { cancel(): void } | undefined;
  /** Blobs found damaged (audited once each). */
  private readonly damagedBlobs = new Set<string>();

  constructor(
    private readonly deps: JobControllerDeps,
    init: {
      id: string;
      job: ParsedJob;
      submittedBy: string;
      researcherSealingKey: Uint8Array;
      submission: SignedEnvelope;
    },
  ) {
    this.id = init.id;
    this.job = init.job;
    this.submittedBy = init.submittedBy;
    this.researcherSealingKey = init.researcherSealingKey;
    this.submission = init.submission;
    this.membership = new SiteMembership(deps, this, {
      persistJob: () => this.persistJob(),
      currentRound: () => this.currentRound?.round ?? 0,
      keyUsers: () => this.lifecycle.keyUsers(),
      catchUp: (siteId) => this.lifecycle.catchUp(siteId),
    });
    this.lifecycle = new RoundLifecycle(deps, this, {
      finish: (state, reason) => this.finish(state, reason),
      keyBundleFor: (siteId) => this.membership.bundleFor(siteId),
    });
    this.releases = new ModelReleases(deps, this);
  }

  get spec(): JobSpec {
    return this.job.spec;
  }

  /** The rounds so far, in order (a round's number is its index). */
  get rounds(): RoundRecord[] {
    return this.lifecycle.rounds;
  }

  get currentRound(): RoundRecord | undefined {
    return this.lifecycle.current;
  }

  get decisions(): ReadonlyMap<string, { accept: boolean; reason: string }> {
    return this.membership.decisions;
  }

  get offeredTo(): ReadonlySet<string> {
    return this.membership.offeredTo;
  }

  get accepted(): readonly string[] {
    return this.membership.accepted;
  }

  get dealer(): string | undefined {
    return this.membership.dealer;
  }

  get keyBundle(): SignedEnvelope | undefined {
    return this.membership.keyBundle;
  }

  /** Offers the job to every connected site and starts the recruiting deadline. */
  start(): void {
    for (const site of this.deps.hub.connected()) this.membership.offer(site);
    this.scheduleRecruitingEnd();
  }

  /**
   * Brings a (re)connecting site up to date with what it missed. `activeJobs` are the jobs
   * the site says it runs: an accepted site without this one restarted and lost it.
   */
  onSiteConnected(siteId: string, activeJobs: ReadonlySet<string>): void {
    const bundle = this.membership.siteConnected(siteId, activeJobs.has(this.id), this.state);
    if (bundle) this.lifecycle.sendMissed(siteId, bundle);
  }

  /**
   * A site's signed answer to the job offer. While recruiting it counts towards the
   * accepted sites; once the job runs, an acceptance is a request to join (or, from an
   * accepted site that restarted, to rejoin) the running job.
   */
  decide(siteId: string, decision: JobDecision, envelope: SignedEnvelope): void {
    if (decision.pending) {
      // Not an answer yet: the site waits for its operator's approval.
      if (decision.accept)
        throw new HeflError('invalid_argument', 'a decision cannot both accept and be pending', {
          publicDetail: 'a pending decision must not accept',
        });
      this.membership.checkJobHash(decision);
      if (this.state === 'recruiting' || this.state === 'running') this.membership.awaitApproval(siteId);
      return;
    }
    // The same answer again (its reply was lost, e.g. in a crash): acknowledged, nothing changes.
    const known = this.decisions.get(siteId);
    if (known && known.accept === decision.accept && this.state !== 'running') {
      this.membership.checkJobHash(decision);
      return;
    }
    if (this.state === 'running') {
      this.membership.checkJobHash(decision);
      this.membership.join(siteId, decision, envelope);
      return;
    }
    if (this.state !== 'recruiting') {
      throw new HeflError('failed_precondition', `job ${this.id} is no longer recruiting`, {
        publicDetail: 'recruiting is over',
      });
    }
    this.membership.checkJobHash(decision);
    if (this.membership.answer(siteId, decision)) this.endRecruiting();
  }

  /** The dealer's key bundle starts the job; once it runs, a bundle is a key grant to a joining site. */
  postKeyBundle(siteId: string, bundle: KeyBundle, envelope: SignedEnvelope): void {
    if (this.state === 'running') {
      this.membership.acceptKeyGrant(siteId, bundle, envelope);
      return;
    }
    if (this.state !== 'keying' || siteId !== this.dealer) {
      throw new HeflError('permission_denied', `${siteId} is not this job's dealer`, {
        publicDetail: 'not the dealer',
      });
    }
    const sealedFor = this.membership.acceptDealerBundle(bundle, envelope);
    this.timer?.cancel();
    this.deps.audit.append({
      actor: siteId,
      action: 'key.ceremony',
      details: {
        jobId: this.id,
        dealer: siteId,
        bundleDigest: toHex(sha256(envelope.payload)),
        sites: sealedFor,
      },
    });
    this.state = 'running';
    this.persistJob();
    for (const site of this.accepted) this.deps.hub.send(site, keyBundleTask(this.id, envelope));
    this.lifecycle.open(0, this.accepted);
    this.membership.offerAgainToLost();
  }

  /** Fast checks on a signed update header, before any data is read. */
  checkUploadHeader(siteId: string, header: UpdateHeader): RoundRecord {
    return this.lifecycle.checkUploadHeader(siteId, header);
  }

  /**
   * Adds a fully received, digest-checked update to the round's sums and returns the
   * signed receipt. Uploads of one job are added one at a time (bounded memory).
   */
  acceptUpload(
    siteId: string,
    header: UpdateHeader,
    headerBytes: Uint8Array,
    layout: SectionLayout[],
    blob: { digest: string; size: number },
  ): Promise<SignedEnvelope> {
    return this.lifecycle.acceptUpload({ siteId, header, headerBytes, layout, blob });
  }

  /**
   * A closed round's aggregate for a site to download, checked against its digest before
   * the first byte leaves. A missing or corrupt aggregate is audited (`blob.damaged`) and,
   * as no site can apply the round then, fails a running job with the reason naming the blob.
   */
  async *aggregateChunks(round: RoundRecord, chunkSize: number): AsyncIterable<Uint8Array> {
    const digest = round.aggregateDigest!;
    try {
      yield* this.deps.blobs.readChunks(digest, chunkSize);
    } catch (error) {
      if (isDamagedBlob(error) && !this.damagedBlobs.has(digest)) {
        this.damagedBlobs.add(digest);
        this.deps.audit.append({
          actor: 'coordinator',
          action: 'blob.damaged',
          details: {
            jobId: this.id,
            round: round.round,
            kind: 'aggregate',
            blobDigest: digest,
            reason: error.message,
          },
        });
        this.deps.log?.('blob.damaged', {
          job: this.id,
          round: round.round,
          kind: 'aggregate',
          error: error.message,
        });
        if (!this.isFinished())
          this.finish(
            'failed',
            `round ${round.round}'s aggregate ${error.message}; no site can apply the round`,
          );
      }
      throw error;
    }
  }

  /** Stores a site's signed answer on releasing the final model (see ModelReleases). */
  acceptRelease(siteId: string, release: ModelRelease, envelope: SignedEnvelope): void {
    this.releases.accept(siteId, release, envelope);
  }

  /** The releases for the researcher who submitted the job, and the final-round sites still to answer. */
  releasesFor(researcherId: string | undefined): { releases: SignedEnvelope[]; pending: string[] } {
    return this.releases.releasesFor(researcherId);
  }

  /** `siteHead`: the reporting site's own signed log head, already verified, recorded with the report. */
  report(siteId: string, report: RoundReport, envelope: SignedEnvelope, siteHead?: AuditHead): void {
    const round = this.rounds[report.round];
    if (round?.state !== 'closed' || !this.accepted.includes(siteId)) {
      throw new HeflError('failed_precondition', `no closed round ${report.round} for ${siteId}`, {
        publicDetail: 'nothing to report for that round',
      });
    }
    if ((report.attempt ?? 0) !== round.attempt) {
      throw new HeflError(
        'failed_precondition',
        `report for attempt ${report.attempt} of round ${report.round}`,
        {
          publicDetail: `round ${report.round} is in attempt ${round.attempt}`,
        },
      );
    }
    if (report.probe > 0) {
      this.lifecycle.answerProbe(round, siteId, report.probe, report.aggregateInvalid);
      return;
    }
    if (report.aggregateInvalid) {
      this.lifecycle.reportInvalid(round, siteId, report.invalidReason.slice(0, 300));
      return;
    }
    this.membership.reported(siteId);
    this.lifecycle.report(round, siteId, report.modelHash, envelope, siteHead);
    this.membership.askForPendingGrants();
  }

  /** The summary and blob digest of blame probe `probe` of a round (sites check it, see RoundBlame). */
  probeAggregate(roundIndex: number, probe: number): { summary: SignedEnvelope; digest: string } {
    const round = this.rounds[roundIndex];
    if (!round)
      throw new HeflError('not_found', `no round ${roundIndex}`, { publicDetail: `no round ${roundIndex}` });
    return this.lifecycle.probeAggregate(round, probe);
  }

  cancel(by: string, reason: string): void {
    if (this.isFinished()) return;
    this.finish('cancelled', reason || `cancelled by ${by}`);
  }

  /** After a restart: an ended job's aggregates go when no site needs them any more. */
  releaseAggregates(): void {
    this.lifecycle.releaseAggregates();
  }

  /** Whether a blob is one of this job's updates or aggregates. */
  refersToBlob(digest: string): boolean {
    return this.lifecycle.refersToBlob(digest);
  }

  isFinished(): boolean {
    return this.state === 'completed' || this.state === 'failed' || this.state === 'cancelled';
  }

  /** The manifest changed: recruiting stops waiting for sites no longer admitted (revoked). */
  onMembersChanged(): void {
    if (this.state === 'recruiting' && this.membership.everyAdmittedAnswered()) this.endRecruiting();
  }

  /** Re-arms the timers of a restored job and moves it on if it can (sites reconnect on their own). */
  resume(graceMs: number): void {
    if (this.isFinished()) return;
    if (this.state === 'recruiting') {
      // Every site offered the job had answered before the crash: recruiting is over.
      const offered = [...this.offeredTo];
      if (offered.length > 0 && offered.every((s) => this.decisions.has(s))) {
        this.endRecruiting();
        return;
      }
      this.scheduleRecruitingEnd();
      return;
    }
    if (this.state === 'keying') {
      this.scheduleKeyingDeadline();
      return;
    }
    // Running, but round 0 was never stored (a crash right after its round.opened entry).
    if (!this.currentRound) {
      this.lifecycle.open(0, this.accepted);
      return;
    }
    this.lifecycle.resume(graceMs);
  }

  /** Writes the job's own fields (state, decisions summary, dealer, key bundle); durable on return. */
  persistJob(): void {
    this.deps.store.saveJob({
      id: this.id,
      specJson: this.job.canonical,
      submittedBy: this.submittedBy,
      researcherSealingKey: this.researcherSealingKey,
      submission: this.submission,
      state: this.state,
      reason: this.reason,
      accepted: this.accepted,
      offeredTo: [...this.offeredTo],
      dealer: this.dealer,
      keyBundle: this.keyBundle,
    });
  }

  private scheduleRecruitingEnd(): void {
    this.timer = this.deps.clock.schedule(this.spec.recruitSeconds * 1000, () => this.endRecruiting());
  }

  private scheduleKeyingDeadline(): void {
    this.timer = this.deps.clock.schedule(this.spec.roundDeadlineSeconds * 1000, () => {
      if (this.state === 'keying')
        this.finish('failed', `dealer ${this.dealer} posted no key bundle in time`);
    });
  }

  private endRecruiting(): void {
    if (this.state !== 'recruiting') return;
    this.timer?.cancel();
    const tooFew = this.membership.endRecruiting();
    if (tooFew) {
      this.finish('failed', tooFew);
      return;
    }
    this.state = 'keying';
    this.persistJob();
    this.membership.sendKeyCeremony();
    this.scheduleKeyingDeadline();
  }

  private finish(state: 'completed' | 'failed' | 'cancelled', reason: string): void {
    this.deps.audit.append({
      actor: 'coordinator',
      action: `job.${state}`,
      details: { jobId: this.id, reason },
    });
    this.state = state;
    this.reason = reason;
    this.persistJob();
    this.timer?.cancel();
    this.lifecycle.stop();
    const sites = new Set([...this.offeredTo, ...this.accepted]);
    // The head after the end entry: sites log it, so the end cannot be truncated away later.
    const head = this.deps.audit.headJson?.() ?? new Uint8Array();
    for (const site of sites) this.deps.hub.send(site, jobEndedTask(this.id, state, reason, head));
  }
}
