import type { AuditHead } from '../../common/audit/audit-head.js';
import { sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { RoundLengths } from '../../common/fl/round-lengths.js';
import type { VectorAdder } from '../../common/he/index.js';
import { type JobSpec, type ParsedJob, parseJobBytes } from '../../common/job/job-spec.js';
import type { EventLog } from '../../common/log/event-log.js';
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
import type { BlobStore } from '../storage/blob-store.js';
import type { JobStore, StoredJobGraph } from '../storage/job-store.js';
import { type AggregateDownload, AggregateDownloads } from './aggregate-downloads.js';
import { discardBlobs, unclosedUploadBlobs, uploadBlobsOf } from './blob-retention.js';
import { type FinalJobState, isFinalJobState, type JobState, parseJobState } from './job-state.js';
import { jobEndedTask, keyBundleTask } from './job-tasks.js';
import { type JobView, jobView } from './job-view.js';
import type { ScriptCorrectionRequests } from './mask-correction-phase.js';
import { ModelReleases } from './model-releases.js';
import { restoredRounds, resumeSums } from './restored-rounds.js';
import type { HoldAggregation } from './round-aggregation.js';
import { RoundLifecycle } from './round-lifecycle.js';
import type { RoundRecord } from './round-record.js';
import { SiteMembership } from './site-membership.js';
import type { TaskHub } from './task-hub.js';

export type { JobState } from './job-state.js';

export interface JobControllerDeps {
  readonly clock: Clock;
  readonly blobs: BlobStore;
  readonly audit: AuditSink;
  readonly hub: TaskHub;
  readonly members: MemberDirectory;
  readonly keys: CoordinatorKeys;
  readonly adder: VectorAdder;
  readonly store: JobStore;
  readonly log?: EventLog;
  /** Tests only: holds each round in 'aggregating' (see HoldAggregation); absent in a deployment. */
  readonly holdAggregation?: HoldAggregation;
  /** Tests only: a scripted malicious coordinator (see ScriptCorrectionRequests); absent in a deployment. */
  readonly scriptCorrectionRequests?: ScriptCorrectionRequests;
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
  private currentState: JobState = 'recruiting';
  private endReason = '';
  /** Who is in the job and who can open its key. */
  private readonly membership: SiteMembership;
  /** The sites' sealed final models. */
  private readonly releases: ModelReleases;
  private readonly lifecycle: RoundLifecycle;
  private readonly downloads: AggregateDownloads;
  private timer: { cancel(): void } | undefined;

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
    // The parts read the job through this view, which reads on demand: none of them is
    // handed the controller, and none reads anything while the controller is being built.
    const view: JobView = jobView(init, {
      state: () => this.currentState,
      accepted: () => this.membership.accepted,
      rounds: () => this.lifecycle.rounds,
      roundLengths: () => this.membership.roundLengths,
    });
    this.membership = new SiteMembership(deps, view, {
      persistJob: () => this.persistJob(),
      currentRound: () => view.currentRound?.round ?? 0,
      keyUsers: () => this.lifecycle.keyUsers(),
      catchUp: (siteId) => this.lifecycle.catchUp(siteId),
    });
    this.lifecycle = new RoundLifecycle(deps, view, {
      finish: (state, reason) => this.finish(state, reason),
      keyBundleFor: (siteId) => this.membership.bundleFor(siteId),
      dealerBundle: () => this.membership.keyBundle,
    });
    this.releases = new ModelReleases(deps, view);
    this.downloads = new AggregateDownloads(deps, view, (reason) => this.finish('failed', reason));
  }

  /**
   * Rebuilds a job after a restart from what the store kept: its state (checked: an unknown
   * state is an `integrity` error, and the registry refuses the job), membership, rounds and
   * releases. Accepted updates of the round in progress are added again from their blobs;
   * closed rounds keep their signed summaries and aggregates. Timers are not armed: `resume`.
   */
  static async restore(
    deps: JobControllerDeps,
    graph: StoredJobGraph,
    job: ParsedJob = parseJobBytes(graph.job.specJson),
  ): Promise<JobController> {
    const stored = graph.job;
    const controller = new JobController(deps, {
      id: stored.id,
      job,
      submittedBy: stored.submittedBy,
      researcherSealingKey: stored.researcherSealingKey,
      submission: stored.submission,
    });
    await controller.load(graph);
    return controller;
  }

  /** The stored job's state, membership, rounds and releases, into this fresh controller. */
  private async load(graph: StoredJobGraph): Promise<void> {
    const stored = graph.job;
    this.currentState = parseJobState(stored.state);
    this.endReason = stored.reason;
    this.membership.restore(stored, graph);
    this.lifecycle.rounds.push(...restoredRounds(graph));
    this.releases.load(graph.releases);
    const current = this.currentRound;
    if (!this.isFinished() && current?.state === 'collecting') await resumeSums(this.deps, this.id, current);
    // Blobs a crash kept from being deleted: updates of closed rounds, and of an ended job its
    // unclosed round's updates and (when no site needs them any more) its aggregates.
    discardBlobs(
      this.deps.blobs,
      this.isFinished()
        ? unclosedUploadBlobs(this.rounds)
        : this.rounds.filter((r) => r.state === 'closed').flatMap(uploadBlobsOf),
      this.deps.log,
    );
    if (this.isFinished()) this.releaseAggregates();
  }

  get state(): JobState {
    return this.currentState;
  }

  /** Why the job ended (empty while it runs, and for a completed job). */
  get reason(): string {
    return this.endReason;
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

  /** The layout every upload must have, fixed when recruiting ended. */
  get roundLengths(): RoundLengths | undefined {
    return this.membership.roundLengths;
  }

  /** Sites holding the offer until their operator approves it (`approval: explicit`). */
  get awaitingApproval(): ReadonlySet<string> {
    return this.membership.awaitingApproval;
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
    this.currentState = 'running';
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

  /** The signed receipt of a site's accepted update in round `round`, if there is one. */
  receiptFor(round: number, siteId: string): SignedEnvelope | undefined {
    return this.rounds[round]?.uploads.get(siteId)?.receipt;
  }

  /**
   * What a site downloads of round `roundIndex`: its signed summary and aggregate (counted as
   * a download), or with `probe` > 0 that blame probe's summary and sum. A round not closed
   * yet is `failed_precondition`; a damaged aggregate fails the job (see AggregateDownloads).
   */
  aggregateDownload(roundIndex: number, probe = 0): AggregateDownload {
    if (probe > 0) return this.downloads.probe(this.probeAggregate(roundIndex, probe));
    return this.downloads.closedRound(roundIndex);
  }

  /** A closed round's aggregate, checked against its digest before the first byte leaves. */
  aggregateChunks(round: RoundRecord, chunkSize: number): AsyncIterable<Uint8Array> {
    return this.downloads.chunks(round, chunkSize);
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
    return isFinalJobState(this.currentState);
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
      ...(this.membership.roundLengths
        ? { roundLayoutJson: JSON.stringify(this.membership.roundLengths) }
        : {}),
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
    this.currentState = 'keying';
    this.persistJob();
    this.membership.sendKeyCeremony();
    this.scheduleKeyingDeadline();
  }

  private finish(state: FinalJobState, reason: string): void {
    this.deps.audit.append({
      actor: 'coordinator',
      action: `job.${state}`,
      details: { jobId: this.id, reason },
    });
    this.currentState = state;
    this.endReason = reason;
    this.persistJob();
    this.timer?.cancel();
    this.lifecycle.stop();
    const sites = new Set([...this.offeredTo, ...this.accepted]);
    // The head after the end entry: sites log it, so the end cannot be truncated away later.
    const head = this.deps.audit.headJson?.() ?? new Uint8Array();
    for (const site of sites) this.deps.hub.send(site, jobEndedTask(this.id, state, reason, head));
  }
}
