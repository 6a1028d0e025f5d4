import { fromHex, merkleRoot, sha256, toHex } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import type { PreparedContribution, VectorAdder } from '../common/he/index.js';
import { type JobSpec, type ParsedJob, totalRounds } from '../common/job/job-spec.js';
import { frameSection, type SectionLayout, unframeSection } from '../common/protocol/section-framing.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { Clock } from '../common/time/clock.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import {
  type JobDecision,
  type KeyBundle,
  type ModelRelease,
  Receipt,
  type RoundReport,
  RoundSummary,
  type UpdateHeader,
} from '../proto/gen/hefl/v1/messages.js';
import type { Task } from '../proto/gen/hefl/v1/services.js';
import type { AuditSink } from './audit-sink.js';
import type { BlobStore } from './blob-store.js';
import type { CoordinatorKeys } from './coordinator-keys.js';
import type { JobStore, StoredJobGraph, StoredRound } from './job-store.js';
import { KeyGrants } from './key-grants.js';
import type { MemberDirectory } from './member-directory.js';
import { type AcceptedUpload, RoundRecord } from './round-record.js';
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

const FRESHNESS_MS = 5 * 60 * 1000;

/**
 * One job's life at the coordinator: recruit sites, relay the key ceremony, then run
 * rounds (open → collecting → aggregating → closed) until the last one is reported.
 * It adds ciphertexts as they arrive and never decrypts: it has nothing to decrypt with.
 */
export class JobController {
  readonly id: string;
  readonly job: ParsedJob;
  readonly submittedBy: string;
  readonly researcherSealingKey: Uint8Array;
  readonly submission: SignedEnvelope;
  state: JobState = 'recruiting';
  reason = '';
  readonly decisions = new Map<string, { accept: boolean; reason: string }>();
  readonly offeredTo = new Set<string>();
  accepted: string[] = [];
  dealer: string | undefined;
  keyBundle: SignedEnvelope | undefined;
  /** Who can open the job's HE key: the dealer's bundle, plus copies sealed later to joining sites. */
  private readonly keyGrants = new KeyGrants();
  /** The key holder asked to seal the key to each waiting site (asked again if it goes away). */
  private readonly grantAskedOf = new Map<string, string>();
  /** Connected sites known to run this job now (said so in their hello, or reported a round since). */
  private readonly runningAt = new Set<string>();
  /** Accepted sites whose hello no longer lists the job (they restarted before it ran). */
  private readonly lostAt = new Set<string>();
  readonly rounds: RoundRecord[] = [];
  private readonly releases = new Map<string, SignedEnvelope>();
  private timer: { cancel(): void } | undefined;
  private queue: Promise<void> = Promise.resolve();

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
  }

  get spec(): JobSpec {
    return this.job.spec;
  }

  get currentRound(): RoundRecord | undefined {
    return this.rounds.at(-1);
  }

  /** Offers the job to every connected site and starts the recruiting deadline. */
  start(): void {
    for (const site of this.deps.hub.connected()) this.offer(site);
    this.timer = this.deps.clock.schedule(this.spec.recruitSeconds * 1000, () => this.endRecruiting());
  }

  /**
   * Brings a (re)connecting site up to date with what it missed. `activeJobs` are the jobs
   * the site says it runs: an accepted site without this one restarted and lost it.
   */
  onSiteConnected(siteId: string, activeJobs: ReadonlySet<string>): void {
    const { hub } = this.deps;
    if (this.state === 'recruiting' && !this.decisions.has(siteId)) this.offer(siteId);
    if (this.decisions.get(siteId)?.accept && !activeJobs.has(this.id)) this.lostAt.add(siteId);
    else this.lostAt.delete(siteId);
    if (this.state === 'running') {
      if (activeJobs.has(this.id)) this.runningAt.add(siteId);
      else this.runningAt.delete(siteId);
      this.askForPendingGrants();
      // A site that never answered (away while recruiting, or admitted since) may join the
      // running job; an accepted site that no longer runs it (it restarted) may rejoin.
      const lostIt = this.accepted.includes(siteId) && !activeJobs.has(this.id);
      if (!this.decisions.has(siteId) || lostIt) {
        this.offer(siteId);
        return;
      }
    }
    if (!this.accepted.includes(siteId)) return;
    if (this.state === 'keying' && siteId === this.dealer && !this.keyBundle) this.sendKeyCeremony();
    if (this.state !== 'running') return;
    const bundle = this.keyGrants.bundleFor(siteId);
    if (!bundle) return; // waiting for a key holder: the catch-up follows the grant
    hub.send(siteId, this.keyBundleTask(bundle));
    // Every closed round this site has not reported, in order: a site that was away catches
    // up by applying the aggregates it missed (it holds the key and the previous model).
    for (const closed of this.rounds) {
      if (closed.state === 'closed' && closed.summary && !closed.reports.has(siteId)) {
        hub.send(siteId, this.roundClosedTask(closed, closed.summary));
      }
    }
    const round = this.currentRound;
    if (round?.state === 'collecting' && round.participants.includes(siteId) && !round.uploads.has(siteId)) {
      hub.send(siteId, this.roundOpenTask(round));
    }
  }

  /**
   * A site's signed answer to the job offer. While recruiting it counts towards the
   * accepted sites; once the job runs, an acceptance is a request to join (or, from an
   * accepted site that restarted, to rejoin) the running job.
   */
  decide(siteId: string, decision: JobDecision, envelope: SignedEnvelope): void {
    if (this.state === 'running') {
      this.checkJobHash(decision);
      this.join(siteId, decision, envelope);
      return;
    }
    if (this.state !== 'recruiting') {
      throw new HeflError('failed_precondition', `job ${this.id} is no longer recruiting`, {
        publicDetail: 'recruiting is over',
      });
    }
    this.checkJobHash(decision);
    if (this.decisions.has(siteId)) return;
    this.decisions.set(siteId, { accept: decision.accept, reason: decision.reason });
    this.deps.store.saveDecision(this.id, siteId, decision.accept, decision.reason);
    this.deps.audit.append({
      actor: siteId,
      action: decision.accept ? 'job.accepted' : 'job.declined',
      details: { jobId: this.id, jobHash: this.job.hash, reason: decision.reason },
    });
    const undecided = [...this.offeredTo].filter((s) => !this.decisions.has(s));
    if (undecided.length === 0) this.endRecruiting();
  }

  private checkJobHash(decision: JobDecision): void {
    if (decision.jobHash !== this.job.hash) {
      throw new HeflError('invalid_argument', 'decision names another job hash', {
        publicDetail: 'job hash mismatch',
      });
    }
  }

  /**
   * A site accepts the running job: it is added to the accepted sites (up to maxSites, the
   * bound the HE encoding was sized for), gets the key sealed to it — the dealer's copy if
   * there is one, else a key holder seals one — then every closed round to apply as an
   * observer, and takes part from the round after it catches up.
   */
  private join(siteId: string, decision: JobDecision, envelope: SignedEnvelope): void {
    const rejoining = this.accepted.includes(siteId);
    if (!decision.accept) {
      if (rejoining || this.decisions.has(siteId)) return;
      this.decisions.set(siteId, { accept: false, reason: decision.reason });
      this.deps.store.saveDecision(this.id, siteId, false, decision.reason);
      this.deps.audit.append({
        actor: siteId,
        action: 'job.declined',
        details: { jobId: this.id, jobHash: this.job.hash, reason: decision.reason },
      });
      return;
    }
    if (!rejoining) {
      if (this.accepted.length >= this.spec.maxSites) {
        throw new HeflError('failed_precondition', `job ${this.id} already has maxSites sites`, {
          publicDetail: `the job already has its maximum of ${this.spec.maxSites} sites (maxSites)`,
        });
      }
      this.decisions.set(siteId, { accept: true, reason: decision.reason });
      this.deps.store.saveDecision(this.id, siteId, true, decision.reason);
      this.accepted = [...this.accepted, siteId].sort();
      this.persistJob();
    }
    this.deps.audit.append({
      actor: siteId,
      action: rejoining ? 'job.rejoined' : 'job.joined',
      details: { jobId: this.id, jobHash: this.job.hash, round: this.currentRound?.round ?? 0 },
    });
    this.runningAt.delete(siteId);
    this.lostAt.delete(siteId);
    if (this.keyGrants.bundleFor(siteId)) {
      this.catchUp(siteId);
      return;
    }
    this.deps.store.saveKeyGrant(this.id, this.keyGrants.request(siteId, envelope));
    this.grantAskedOf.delete(siteId);
    this.askForPendingGrants();
  }

  /**
   * Sends a (re)joining site the key sealed to it, then every closed round in order (it
   * applies them as an observer and reports the model hash); the report of the latest one
   * readmits it (see readmitIfCaughtUp). With no round closed yet it joins the current one.
   */
  private catchUp(siteId: string): void {
    const bundle = this.keyGrants.bundleFor(siteId);
    if (!bundle) return;
    const { hub } = this.deps;
    hub.send(siteId, this.keyBundleTask(bundle));
    const closed = this.rounds.filter((r) => r.state === 'closed' && r.summary);
    for (const round of closed) hub.send(siteId, this.roundClosedTask(round, round.summary!));
    if (closed.length === 0) this.admitToCurrentRound(siteId);
  }

  /** Sites known to hold the key now: they applied the latest closed round, or sent an update since. */
  private keyHolders(): string[] {
    const waiting = new Set(this.keyGrants.pending().map((g) => g.siteId));
    const lastClosed = this.rounds.findLast((r) => r.state === 'closed');
    const holders = new Set([
      ...(lastClosed?.reports.keys() ?? []),
      ...(this.currentRound?.uploads.keys() ?? []),
    ]);
    if (holders.size === 0 && this.dealer) holders.add(this.dealer);
    return [...holders].filter((s) => !waiting.has(s) && this.keyGrants.bundleFor(s)).sort();
  }

  /** Asks a connected key holder to seal the key to each waiting site (again if the one asked went away). */
  private askForPendingGrants(): void {
    const pending = this.keyGrants.pending();
    if (pending.length === 0) return;
    const { hub } = this.deps;
    const holder = this.keyHolders().find((s) => hub.isConnected(s) && this.runningAt.has(s));
    if (!holder) return; // asked again when a holder connects or reports
    for (const grant of pending) {
      const asked = this.grantAskedOf.get(grant.siteId);
      if (asked && hub.isConnected(asked) && this.runningAt.has(asked)) continue;
      this.grantAskedOf.set(grant.siteId, holder);
      hub.send(holder, {
        kind: {
          $case: 'keyGrant',
          value: { jobId: this.id, siteId: grant.siteId, decision: grant.decision },
        },
      });
    }
  }

  /** A key holder's bundle sealing the job's key to one waiting site. */
  private acceptKeyGrant(siteId: string, bundle: KeyBundle, envelope: SignedEnvelope): void {
    if (!this.accepted.includes(siteId) || !this.keyGrants.bundleFor(siteId)) {
      throw new HeflError('permission_denied', `${siteId} does not hold the key of ${this.id}`, {
        publicDetail: 'only a site holding the job key can seal it to another',
      });
    }
    const to = bundle.sealed.map((s) => s.siteId);
    if (
      bundle.jobId !== this.id ||
      bundle.profileId !== this.spec.he.profile ||
      to.length !== 1 ||
      to[0] === siteId
    ) {
      throw new HeflError('invalid_argument', 'a key grant must seal the job key to exactly one other site', {
        publicDetail: 'a key grant seals the job key to exactly one waiting site',
      });
    }
    const grant = this.keyGrants.grant(to[0]!, envelope, siteId);
    this.deps.store.saveKeyGrant(this.id, grant);
    this.grantAskedOf.delete(grant.siteId);
    this.deps.audit.append({
      actor: siteId,
      action: 'key.granted',
      details: {
        jobId: this.id,
        by: siteId,
        to: grant.siteId,
        bundleDigest: toHex(sha256(envelope.payload)),
      },
    });
    this.catchUp(grant.siteId);
  }

  postKeyBundle(siteId: string, bundle: KeyBundle, envelope: SignedEnvelope): void {
    if (this.state === 'running') {
      this.acceptKeyGrant(siteId, bundle, envelope);
      return;
    }
    if (this.state !== 'keying' || siteId !== this.dealer) {
      throw new HeflError('permission_denied', `${siteId} is not this job's dealer`, {
        publicDetail: 'not the dealer',
      });
    }
    const sealedFor = bundle.sealed.map((s) => s.siteId).sort();
    if (
      bundle.jobId !== this.id ||
      bundle.profileId !== this.spec.he.profile ||
      sealedFor.join() !== this.accepted.join()
    ) {
      throw new HeflError('invalid_argument', 'key bundle does not match the job or its accepted sites', {
        publicDetail: 'key bundle does not cover exactly the accepted sites',
      });
    }
    this.keyBundle = envelope;
    this.keyGrants.setDealerBundle(envelope);
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
    for (const site of this.accepted) this.deps.hub.send(site, this.keyBundleTask(envelope));
    this.openRound(0, this.accepted);
    // A site that restarted while the job was being set up lost it: offer it again to rejoin.
    for (const site of this.lostAt) if (this.accepted.includes(site)) this.offer(site);
  }

  /** Fast checks on a signed update header, before any data is read. */
  checkUploadHeader(siteId: string, header: UpdateHeader): RoundRecord {
    const round = this.currentRound;
    if (this.state !== 'running' || !round) {
      throw new HeflError('failed_precondition', `job ${this.id} is ${this.state}`, {
        publicDetail: `job is ${this.state}`,
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
    const nonce = Buffer.from(header.nonce).toString('hex');
    if (header.nonce.length < 16 || round.usedNonces.has(nonce)) {
      throw new HeflError('replay', 'update nonce reused', { publicDetail: 'nonce already used' });
    }
    if (Math.abs(this.deps.clock.now() - header.sentAtMs) > FRESHNESS_MS) {
      throw new HeflError('replay', 'update is not fresh', {
        publicDetail: 'update timestamp outside the freshness window',
      });
    }
    return round;
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
    const run = this.queue.then(() => this.addUpload(siteId, header, headerBytes, layout, blob));
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /**
   * Stores a site's signed answer on releasing the final model (sealed to the researcher,
   * or a refusal). Only sites of the final round answer; the coordinator cannot open it.
   */
  acceptRelease(siteId: string, release: ModelRelease, envelope: SignedEnvelope): void {
    const last = this.rounds[totalRounds(this.spec) - 1];
    if (last?.state !== 'closed' || !last.uploads.has(siteId)) {
      throw new HeflError('failed_precondition', `${siteId} is not in the final round of ${this.id}`, {
        publicDetail: 'only sites of the final round release the model',
      });
    }
    if (this.releases.has(siteId)) return;
    this.releases.set(siteId, envelope);
    this.deps.store.saveRelease(this.id, siteId, envelope);
    this.deps.audit.append({
      actor: siteId,
      action: 'model.released',
      details: {
        jobId: this.id,
        allowed: release.allowed,
        reason: release.reason,
        modelHash: release.modelHash,
        to: this.submittedBy,
        stage: 'sealed by site',
      },
    });
  }

  /** The releases for the researcher who submitted the job, and the final-round sites still to answer. */
  releasesFor(researcherId: string | undefined): { releases: SignedEnvelope[]; pending: string[] } {
    if (researcherId !== undefined && researcherId !== this.submittedBy) {
      throw new HeflError('permission_denied', `${researcherId} did not submit ${this.id}`, {
        publicDetail: 'only the researcher who submitted the job can fetch its model',
      });
    }
    if (!this.spec.release.toResearcher) {
      throw new HeflError('failed_precondition', `${this.id} does not release its model`, {
        publicDetail: 'the job spec says the model is not released (release.toResearcher = false)',
      });
    }
    if (this.state !== 'completed') {
      throw new HeflError('failed_precondition', `${this.id} is ${this.state}`, {
        publicDetail: `the job is ${this.state}, not completed`,
      });
    }
    const last = this.rounds[totalRounds(this.spec) - 1]!;
    const sites = last.contributors;
    const pending = sites.filter((s) => !this.releases.has(s));
    if (pending.length === 0) {
      this.deps.audit.append({
        actor: researcherId ?? this.submittedBy,
        action: 'model.released',
        details: { jobId: this.id, to: this.submittedBy, sites, stage: 'fetched by researcher' },
      });
    }
    return { releases: sites.flatMap((s) => (this.releases.has(s) ? [this.releases.get(s)!] : [])), pending };
  }

  report(siteId: string, report: RoundReport, envelope: SignedEnvelope): void {
    const round = this.rounds[report.round];
    if (round?.state !== 'closed' || !this.accepted.includes(siteId)) {
      throw new HeflError('failed_precondition', `no closed round ${report.round} for ${siteId}`, {
        publicDetail: 'nothing to report for that round',
      });
    }
    this.runningAt.add(siteId);
    // Repeated for a round already reported (a site that restarted and caught up again):
    // kept as first reported, but it may still readmit the site.
    if (!round.reports.has(siteId)) {
      round.reports.set(siteId, { modelHash: report.modelHash, envelope });
      this.deps.store.saveReport(this.id, round.round, siteId, report.modelHash, envelope);
      this.deps.audit.append({
        actor: siteId,
        action: 'round.reported',
        details: { jobId: this.id, round: round.round, modelHash: report.modelHash },
      });
      if (round === this.currentRound && round.allReported()) {
        this.afterReports(round);
        this.askForPendingGrants();
        return;
      }
    }
    this.readmitIfCaughtUp(siteId, round, report.modelHash);
    this.askForPendingGrants();
  }

  /**
   * A site that missed rounds and has now applied the latest closed one (same model hash
   * as everyone) takes part again from the round being collected.
   */
  private readmitIfCaughtUp(siteId: string, reported: RoundRecord, modelHash: string): void {
    const current = this.currentRound;
    if (current?.state !== 'collecting' || current.round !== reported.round + 1) return;
    const agreed = [...reported.reports.entries()].find(([site]) => site !== siteId)?.[1].modelHash;
    if (agreed !== modelHash) return;
    this.admitToCurrentRound(siteId);
  }

  /** Adds a site to the round being collected (audited) and sends it the round, unless it sent its update. */
  private admitToCurrentRound(siteId: string): void {
    const current = this.currentRound;
    if (current?.state !== 'collecting') return;
    if (!current.participants.includes(siteId)) {
      current.addParticipant(siteId);
      this.persistRound(current);
      this.deps.audit.append({
        actor: 'coordinator',
        action: 'round.opened',
        details: {
          jobId: this.id,
          round: current.round,
          participants: current.participants,
          rejoined: siteId,
        },
      });
    }
    if (!current.uploads.has(siteId)) this.deps.hub.send(siteId, this.roundOpenTask(current));
  }

  cancel(by: string, reason: string): void {
    if (this.isFinished()) return;
    this.finish('cancelled', reason || `cancelled by ${by}`);
  }

  isFinished(): boolean {
    return this.state === 'completed' || this.state === 'failed' || this.state === 'cancelled';
  }

  /**
   * Rebuilds a job after a restart from what the store kept. Accepted updates of the
   * round in progress are added again from their blobs (nothing is counted twice: the
   * sums start empty); closed rounds keep their signed summaries and aggregates.
   */
  static async restore(
    deps: JobControllerDeps,
    graph: StoredJobGraph,
    job: ParsedJob,
  ): Promise<JobController> {
    const stored = graph.job;
    const controller = new JobController(deps, {
      id: stored.id,
      job,
      submittedBy: stored.submittedBy,
      researcherSealingKey: stored.researcherSealingKey,
      submission: stored.submission,
    });
    controller.state = stored.state as JobState;
    controller.reason = stored.reason;
    controller.accepted = [...stored.accepted];
    for (const site of stored.offeredTo) controller.offeredTo.add(site);
    controller.dealer = stored.dealer;
    controller.keyBundle = stored.keyBundle;
    if (stored.keyBundle) controller.keyGrants.setDealerBundle(stored.keyBundle);
    controller.keyGrants.load(graph.keyGrants);
    for (const d of graph.decisions)
      controller.decisions.set(d.siteId, { accept: d.accept, reason: d.reason });
    for (const r of graph.rounds) {
      const round = new RoundRecord(r.round, r.participants, r.openedAt, r.deadline);
      round.state = r.state as RoundRecord['state'];
      round.closedAt = r.closedAt;
      round.layout = r.layoutJson ? (JSON.parse(r.layoutJson) as SectionLayout[]) : undefined;
      round.absent.push(...(JSON.parse(r.absentJson) as { siteId: string; reason: string }[]));
      round.summary = r.summary;
      round.aggregateDigest = r.aggregateDigest;
      round.aggregateBytes = r.aggregateBytes;
      controller.rounds.push(round);
    }
    for (const u of graph.uploads) {
      const round = controller.rounds[u.round];
      if (!round) continue;
      round.uploads.set(u.siteId, {
        siteId: u.siteId,
        updateDigest: u.updateDigest,
        blobDigest: u.blobDigest,
        byteLength: u.byteLength,
        receipt: u.receipt,
      });
      round.usedNonces.add(u.nonceHex);
    }
    for (const r of graph.reports)
      controller.rounds[r.round]?.reports.set(r.siteId, { modelHash: r.modelHash, envelope: r.envelope });
    for (const r of graph.releases) controller.releases.set(r.siteId, r.envelope);
    const current = controller.currentRound;
    if (!controller.isFinished() && current?.state === 'collecting') await controller.resumeSums(current);
    return controller;
  }

  /** Re-arms the timers of a restored job and moves it on if it can (sites reconnect on their own). */
  resume(graceMs: number): void {
    if (this.isFinished()) return;
    const now = this.deps.clock.now();
    if (this.state === 'recruiting') {
      this.timer = this.deps.clock.schedule(this.spec.recruitSeconds * 1000, () => this.endRecruiting());
      return;
    }
    if (this.state === 'keying') {
      this.timer = this.deps.clock.schedule(this.spec.roundDeadlineSeconds * 1000, () => {
        if (this.state === 'keying')
          this.finish('failed', `dealer ${this.dealer} posted no key bundle in time`);
      });
      return;
    }
    const round = this.currentRound;
    if (!round) return;
    if (round.state === 'collecting') {
      if (round.allUploaded()) {
        this.enqueueClose(round);
        return;
      }
      const wait = Math.max(round.deadline - now, graceMs);
      round.timer = this.deps.clock.schedule(wait, () => this.onDeadline(round));
      return;
    }
    if (round.allReported()) {
      this.afterReports(round);
      return;
    }
    round.timer = this.deps.clock.schedule(Math.max(this.spec.roundDeadlineSeconds * 1000, graceMs), () =>
      this.onDeadline(round),
    );
  }

  private async resumeSums(round: RoundRecord): Promise<void> {
    for (const upload of round.uploads.values()) {
      const bytes = await this.deps.blobs.read(upload.blobDigest);
      let offset = 0;
      for (const section of round.layout ?? []) {
        const { batch } = unframeSection(section, bytes.subarray(offset, offset + section.byteLength));
        offset += section.byteLength;
        let sum = round.sums.get(section.name);
        if (!sum) {
          sum = this.deps.adder.startSum(section.valueCount);
          round.sums.set(section.name, sum);
        }
        sum.add(batch);
      }
    }
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

  private persistRound(round: RoundRecord): void {
    this.deps.store.saveRound(this.id, storedRound(round));
  }

  private offer(siteId: string): void {
    const fresh = !this.offeredTo.has(siteId);
    this.offeredTo.add(siteId);
    if (fresh) this.persistJob();
    this.deps.hub.send(siteId, {
      kind: {
        $case: 'jobOffer',
        value: { jobId: this.id, submission: this.submission, jobHash: this.job.hash },
      },
    });
  }

  private endRecruiting(): void {
    if (this.state !== 'recruiting') return;
    this.timer?.cancel();
    this.accepted = [...this.decisions]
      .filter(([, d]) => d.accept)
      .map(([s]) => s)
      .sort();
    if (this.accepted.length < this.spec.minSites) {
      const declined = [...this.decisions]
        .filter(([, d]) => !d.accept)
        .map(([site, d]) => `${site}: ${d.reason}`);
      const silent = [...this.offeredTo]
        .filter((site) => !this.decisions.has(site))
        .map((site) => `${site}: no answer`);
      const why = [...declined, ...silent].join('; ');
      this.finish(
        'failed',
        `only ${this.accepted.length} site(s) accepted; the job needs minSites = ${this.spec.minSites}${why ? ` (${why})` : ''}`,
      );
      return;
    }
    if (this.accepted.length > this.spec.maxSites) this.accepted = this.accepted.slice(0, this.spec.maxSites);
    this.state = 'keying';
    this.dealer = this.accepted[0];
    this.persistJob();
    this.sendKeyCeremony();
    this.timer = this.deps.clock.schedule(this.spec.roundDeadlineSeconds * 1000, () => {
      if (this.state === 'keying')
        this.finish('failed', `dealer ${this.dealer} posted no key bundle in time`);
    });
  }

  private sendKeyCeremony(): void {
    const sites = this.accepted.map((siteId) => ({
      siteId,
      sealingPublicKey: Buffer.from(this.deps.members.byId(siteId)?.sealingPublicKey ?? new Uint8Array()),
    }));
    this.deps.hub.send(this.dealer!, { kind: { $case: 'keyCeremony', value: { jobId: this.id, sites } } });
  }

  private openRound(index: number, participants: readonly string[]): void {
    const now = this.deps.clock.now();
    const round = new RoundRecord(
      index,
      [...participants].sort(),
      now,
      now + this.spec.roundDeadlineSeconds * 1000,
    );
    this.rounds.push(round);
    this.persistRound(round);
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.opened',
      details: {
        jobId: this.id,
        round: index,
        participants: round.participants,
        deadline: new Date(round.deadline).toISOString(),
      },
    });
    round.timer = this.deps.clock.schedule(round.deadline - now, () => this.onDeadline(round));
    for (const site of round.participants) this.deps.hub.send(site, this.roundOpenTask(round));
  }

  private keyBundleTask(bundle: SignedEnvelope): Task {
    return { kind: { $case: 'keyBundle', value: { jobId: this.id, bundle } } };
  }

  private roundClosedTask(round: RoundRecord, summary: SignedEnvelope): Task {
    return { kind: { $case: 'roundClosed', value: { jobId: this.id, round: round.round, summary } } };
  }

  private roundOpenTask(round: RoundRecord): Task {
    return {
      kind: {
        $case: 'roundOpen',
        value: {
          jobId: this.id,
          round: round.round,
          participants: [...round.participants],
          deadlineMs: round.deadline,
        },
      },
    };
  }

  private async addUpload(
    siteId: string,
    header: UpdateHeader,
    headerBytes: Uint8Array,
    layout: SectionLayout[],
    blob: { digest: string; size: number },
  ): Promise<SignedEnvelope> {
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
      let offset = 0;
      for (const section of layout) {
        const { batch } = unframeSection(section, bytes.subarray(offset, offset + section.byteLength));
        offset += section.byteLength;
        let sum = round.sums.get(section.name);
        if (!sum) {
          sum = this.deps.adder.startSum(section.valueCount);
          round.sums.set(section.name, sum);
        }
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
      details: { jobId: this.id, round: round.round, site: siteId, updateDigest, bytes: blob.size },
    });
    const receipt = signMessage(
      SigningContext.receipt,
      Receipt,
      {
        jobId: this.id,
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
    this.deps.store.saveUpload(this.id, {
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
    if (round.allUploaded()) setImmediate(() => this.enqueueClose(round));
    return receipt;
  }

  private checkLayout(round: RoundRecord, layout: SectionLayout[]): void {
    for (const section of layout) {
      if (section.profileId !== this.spec.he.profile) {
        throw new HeflError('profile_mismatch', `section ${section.name} uses profile ${section.profileId}`, {
          publicDetail: `the job's HE profile is ${this.spec.he.profile}`,
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

  private onDeadline(round: RoundRecord): void {
    if (this.isFinished() || round !== this.currentRound) return;
    if (round.state === 'collecting') {
      for (const site of round.participants) {
        if (!round.uploads.has(site))
          round.absent.push({ siteId: site, reason: 'no update by the round deadline' });
      }
      if (round.uploads.size < this.spec.minSites) {
        this.finish(
          'failed',
          `round ${round.round}: ${round.uploads.size} update(s) by the deadline, minSites is ${this.spec.minSites}`,
        );
        return;
      }
      this.persistRound(round);
      this.enqueueClose(round);
      return;
    }
    if (round.state === 'closed') {
      for (const site of round.contributors) {
        if (!round.reports.has(site))
          round.absent.push({ siteId: site, reason: 'did not report the applied model by the deadline' });
      }
      this.afterReports(round);
    }
  }

  private enqueueClose(round: RoundRecord): void {
    const run = this.queue.then(() => this.closeRound(round));
    this.queue = run.catch((error) =>
      this.finish('failed', `round ${round.round} could not close: ${describe(error)}`),
    );
  }

  private async closeRound(round: RoundRecord): Promise<void> {
    if (round.state !== 'collecting' || this.isFinished()) return;
    round.state = 'aggregating';
    round.timer?.cancel();
    this.deps.log?.('round.aggregating', { job: this.id, round: round.round, updates: round.uploads.size });
    const faultDelay = Number(process.env.HEFL_FAULT_AGGREGATION_DELAY_MS ?? 0);
    if (faultDelay > 0) await new Promise((resolve) => setTimeout(resolve, faultDelay)); // fault-injection tests only
    const writer = await this.deps.blobs.createWriter();
    const sections: SectionLayout[] = [];
    try {
      for (const section of round.layout ?? []) {
        const framed = frameSection({ name: section.name, batch: round.sums.get(section.name)!.result() });
        for (const part of framed.bytes) await writer.write(part);
        sections.push(framed.layout);
      }
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const blob = await writer.finish();
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
        jobId: this.id,
        round: round.round,
        participants: contributors,
        updateDigests: digests.map(toHex),
        merkleRoot: toHex(root),
        aggregateDigest: blob.digest,
        absent: round.absent,
      },
    });
    round.summary = signMessage(
      SigningContext.roundSummary,
      RoundSummary,
      {
        jobId: this.id,
        round: round.round,
        participants: contributors,
        updateDigests: digests.map((d) => Buffer.from(d)),
        merkleRoot: Buffer.from(root),
        sections,
        aggregateDigest: Buffer.from(fromHex(blob.digest)),
        closedAtMs: round.closedAt,
        absent: round.absent.map((a) => ({ siteId: a.siteId, reason: a.reason })),
        auditHeadJson: Buffer.from(this.deps.audit.headJson?.() ?? new Uint8Array()),
      },
      this.deps.keys.signingSecretKey,
    );
    round.state = 'closed';
    this.persistRound(round);
    round.timer = this.deps.clock.schedule(this.spec.roundDeadlineSeconds * 1000, () =>
      this.onDeadline(round),
    );
    // Sites still waiting for their copy of the key get every closed round with their catch-up.
    for (const site of this.accepted) {
      if (this.keyGrants.bundleFor(site))
        this.deps.hub.send(site, this.roundClosedTask(round, round.summary));
    }
  }

  private afterReports(round: RoundRecord): void {
    if (this.isFinished()) return;
    round.timer?.cancel();
    // The sites whose updates were summed must agree on the new model. A site that only
    // caught up (an observer) and got another model is left out, not allowed to fail the job.
    const contributed = round.contributors.filter((s) => round.reports.has(s));
    const judges = contributed.length > 0 ? contributed : [...round.reports.keys()];
    const hashes = new Map<string, string[]>();
    for (const site of judges) {
      const hash = round.reports.get(site)!.modelHash;
      hashes.set(hash, [...(hashes.get(hash) ?? []), site]);
    }
    if (hashes.size > 1) {
      const detail = [...hashes].map(([h, sites]) => `${sites.join(',')}=${h.slice(0, 12)}`).join(' vs ');
      this.finish('failed', `round ${round.round}: sites disagree on the global model (${detail})`);
      return;
    }
    const agreed = [...hashes.keys()][0];
    const next = [...round.reports]
      .filter(([, r]) => r.modelHash === agreed)
      .map(([site]) => site)
      .sort();
    const diverged = [...round.reports.keys()].filter((s) => !next.includes(s));
    if (diverged.length > 0) {
      for (const siteId of diverged)
        round.absent.push({ siteId, reason: 'caught up to a different model hash; left out' });
      this.persistRound(round);
    }
    if (round.round + 1 >= totalRounds(this.spec)) {
      this.finish('completed', '');
      return;
    }
    if (next.length < this.spec.minSites) {
      this.finish(
        'failed',
        `after round ${round.round} only ${next.length} site(s) remain, minSites is ${this.spec.minSites}`,
      );
      return;
    }
    this.openRound(round.round + 1, next);
  }

  private finish(state: 'completed' | 'failed' | 'cancelled', reason: string): void {
    this.state = state;
    this.reason = reason;
    this.persistJob();
    this.timer?.cancel();
    for (const round of this.rounds) {
      round.timer?.cancel();
      round.freeSums();
    }
    this.deps.audit.append({
      actor: 'coordinator',
      action: `job.${state}`,
      details: { jobId: this.id, reason },
    });
    const sites = new Set([...this.offeredTo, ...this.accepted]);
    for (const site of sites) {
      this.deps.hub.send(site, { kind: { $case: 'jobEnded', value: { jobId: this.id, state, reason } } });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function storedRound(round: RoundRecord): StoredRound {
  return {
    round: round.round,
    participants: round.participants,
    openedAt: round.openedAt,
    deadline: round.deadline,
    state: round.state === 'aggregating' ? 'collecting' : round.state,
    closedAt: round.closedAt,
    layoutJson: round.layout ? JSON.stringify(round.layout) : undefined,
    absentJson: JSON.stringify(round.absent),
    summary: round.summary,
    aggregateDigest: round.aggregateDigest,
    aggregateBytes: round.aggregateBytes,
  };
}
