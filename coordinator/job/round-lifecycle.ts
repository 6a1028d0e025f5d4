import type { AuditHead } from '../../common/audit/audit-head.js';
import { HeflError } from '../../common/errors/index.js';
import { totalRounds } from '../../common/job/job-spec.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { UpdateHeader } from '../../proto/gen/hefl/v1/messages.js';
import {
  AGGREGATE_GRACE_MS,
  aggregateBlobs,
  discardBlobs,
  everyoneAppliedLast,
  unclosedUploadBlobs,
  uploadBlobsOf,
} from './blob-retention.js';
import { keyBundleTask, roundClosedTask, roundOpenTask } from './job-tasks.js';
import type { JobView } from './job-view.js';
import {
  MaskCorrectionPhase,
  needsMaskCorrection,
  type ScriptCorrectionRequests,
} from './mask-correction-phase.js';
import {
  type AggregatingJob,
  type AggregationDeps,
  type ReceivedUpload,
  RoundAggregation,
} from './round-aggregation.js';
import { type BlameOutcome, RoundBlame } from './round-blame.js';
import { RoundRecord, storedRound } from './round-record.js';
import type { TaskHub } from './task-hub.js';

/** Runs of one round at most: the first, and re-runs after invalid aggregates. */
export const MAX_ROUND_ATTEMPTS = 3;

export interface RoundLifecycleDeps extends AggregationDeps {
  readonly hub: TaskHub;
  /** Tests only: a scripted malicious coordinator (see ScriptCorrectionRequests). */
  readonly scriptCorrectionRequests?: ScriptCorrectionRequests;
}

/** What the rounds read of their job. */
export type RunningJob = AggregatingJob & Pick<JobView, 'accepted'>;

/** What the rounds call back into their job for. */
export interface RoundHooks {
  /** Ends the job: its last round was reported, or it cannot go on. */
  finish(state: 'completed' | 'failed', reason: string): void;
  /** The bundle holding a copy of the job's key sealed to `siteId`, if there is one yet. */
  keyBundleFor(siteId: string): SignedEnvelope | undefined;
  /** The dealer's own bundle: relayed with another holder's copy, for its key commitment. */
  dealerBundle?(): SignedEnvelope | undefined;
}

/**
 * A running job's rounds, one after another: each opens with a deadline, collects updates,
 * closes into a signed summary when all are in or at the deadline, then waits for the
 * sites' reports of the model they applied; the sites that agree take part in the next.
 * Sites that were away, restarted or joined late catch up on the closed rounds and are
 * readmitted to the round being collected.
 */
export class RoundLifecycle {
  readonly rounds: RoundRecord[] = [];
  private readonly aggregation: RoundAggregation;
  private queue: Promise<void> = Promise.resolve();
  /** Deletes a completed job's aggregates if some site never applies the last round. */
  private aggregateTimer: { cancel(): void } | undefined;
  /** The blame of the current round's failed attempt, while its probes are out. */
  private blame: RoundBlame | undefined;
  /** Sites a blame verdict named: they take no further part in this job's rounds. */
  private readonly excluded = new Set<string>();
  /** The current round's mask corrections, while a masked round that lost a site collects them. */
  private correction: MaskCorrectionPhase | undefined;

  constructor(
    private readonly deps: RoundLifecycleDeps,
    private readonly job: RunningJob,
    private readonly hooks: RoundHooks,
  ) {
    this.aggregation = new RoundAggregation(deps, job, (round) => this.enqueueClose(round));
  }

  get current(): RoundRecord | undefined {
    return this.rounds.at(-1);
  }

  checkUploadHeader(siteId: string, header: UpdateHeader): RoundRecord {
    if (header.maskCorrection) return this.requireCorrection(header).checkHeader(siteId, header);
    return this.aggregation.checkUploadHeader(siteId, header);
  }

  /**
   * Adds a fully received, digest-checked update to the round's sums and returns the
   * signed receipt. Uploads of one job are added one at a time (bounded memory).
   */
  acceptUpload(upload: ReceivedUpload): Promise<SignedEnvelope> {
    const run = this.queue.then(() =>
      upload.header.maskCorrection
        ? this.requireCorrection(upload.header).add(upload)
        : this.aggregation.addUpload(upload),
    );
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  open(index: number, participants: readonly string[]): void {
    const { id, spec } = this.job;
    const now = this.deps.clock.now();
    const round = new RoundRecord(
      index,
      [...participants].sort(),
      now,
      now + spec.roundDeadlineSeconds * 1000,
    );
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.opened',
      details: {
        jobId: id,
        round: index,
        participants: round.participants,
        deadline: new Date(round.deadline).toISOString(),
      },
    });
    this.rounds.push(round);
    this.persistRound(round);
    round.timer = this.deps.clock.schedule(round.deadline - now, () => this.onDeadline(round));
    for (const site of round.participants) this.deps.hub.send(site, roundOpenTask(id, round));
  }

  /** A site's report of the model it got by applying a closed round (checked by the job). */
  report(
    round: RoundRecord,
    siteId: string,
    modelHash: string,
    envelope: SignedEnvelope,
    siteHead?: AuditHead,
  ): void {
    // Repeated for a round already reported (a site that restarted and caught up again):
    // kept as first reported, but it may still readmit the site.
    if (!round.reports.has(siteId)) {
      this.deps.audit.append({
        actor: siteId,
        action: 'round.reported',
        details: { jobId: this.job.id, round: round.round, modelHash, ...(siteHead ? { siteHead } : {}) },
      });
      this.deps.store.saveReport(this.job.id, round.round, siteId, modelHash, envelope);
      round.reports.set(siteId, { modelHash, envelope });
      if (this.job.isFinished()) {
        // A site catching up after the job completed: the aggregates may go once it has the last.
        if (this.job.state === 'completed') this.releaseAggregatesWhenApplied();
        return;
      }
      if (round === this.current && round.allReported()) {
        this.afterReports(round);
        return;
      }
    }
    this.readmitIfCaughtUp(siteId, round, modelHash);
  }

  /**
   * A contributor's signed report that the round's aggregate is invalid (it did not apply
   * it). A majority of such reports re-runs the round after blame (see afterReports).
   */
  reportInvalid(round: RoundRecord, siteId: string, reason: string): void {
    if (!round.contributors.includes(siteId) || round.reports.has(siteId) || round.invalidReports.has(siteId))
      return;
    round.invalidReports.set(siteId, reason);
    this.deps.audit.append({
      actor: siteId,
      action: 'round.invalid-reported',
      details: { jobId: this.job.id, round: round.round, attempt: round.attempt, reason },
    });
    if (this.blame || round !== this.current) return; // already being blamed and re-run
    // A majority of the contributors settles it: the others' answers cannot change the outcome.
    const decided = round.invalidReports.size * 2 > round.contributors.length;
    if (!this.job.isFinished() && (decided || round.allReported())) this.afterReports(round);
  }

  /** A contributor's signed validity bit on blame probe `probe` of the current round. */
  answerProbe(round: RoundRecord, siteId: string, probe: number, invalid: boolean): void {
    if (round !== this.current || !this.blame)
      throw new HeflError('failed_precondition', `no blame running for round ${round.round}`, {
        publicDetail: 'no blame probe is open for this round',
      });
    this.blame.answer(siteId, probe, invalid);
  }

  /** The signed summary and blob of an open blame probe of the current round. */
  probeAggregate(round: RoundRecord, probe: number): { summary: SignedEnvelope; digest: string } {
    if (round !== this.current || !this.blame)
      throw new HeflError('not_found', `no blame running for round ${round.round}`, {
        publicDetail: 'no blame probe is open for this round',
      });
    return this.blame.probe(probe);
  }

  /** Brings a reconnected site holding the key (`bundle`) up to date with the rounds it missed. */
  sendMissed(siteId: string, bundle: SignedEnvelope): void {
    const { hub } = this.deps;
    const { id } = this.job;
    hub.send(siteId, keyBundleTask(id, bundle, this.hooks.dealerBundle?.()));
    // Every closed round this site has not reported, in order: a site that was away catches
    // up by applying the aggregates it missed (it holds the key and the previous model).
    for (const closed of this.rounds) {
      if (closed.state === 'closed' && closed.summary && !closed.reports.has(siteId)) {
        hub.send(siteId, roundClosedTask(id, closed, closed.summary));
      }
    }
    const round = this.current;
    if (round?.state === 'collecting' && round.participants.includes(siteId) && !round.uploads.has(siteId)) {
      hub.send(siteId, roundOpenTask(id, round));
    }
  }

  /**
   * Sends a (re)joining site the key sealed to it, then every closed round in order (it
   * applies them as an observer and reports the model hash); the report of the latest one
   * readmits it (see readmitIfCaughtUp). With no round closed yet it joins the current one.
   */
  catchUp(siteId: string): void {
    const bundle = this.hooks.keyBundleFor(siteId);
    if (!bundle) return;
    const { hub } = this.deps;
    hub.send(siteId, keyBundleTask(this.job.id, bundle, this.hooks.dealerBundle?.()));
    const closed = this.rounds.filter((r) => r.state === 'closed' && r.summary);
    for (const round of closed) hub.send(siteId, roundClosedTask(this.job.id, round, round.summary!));
    if (closed.length === 0) this.admitToCurrentRound(siteId);
  }

  /** Sites that applied the latest closed round, or sent an update since: they hold the key. */
  keyUsers(): string[] {
    const lastClosed = this.rounds.findLast((r) => r.state === 'closed');
    return [...(lastClosed?.reports.keys() ?? []), ...(this.current?.uploads.keys() ?? [])];
  }

  /** Re-arms the current round's timer after a restart, or moves it on if it can. */
  resume(graceMs: number): void {
    const now = this.deps.clock.now();
    const round = this.current;
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
    const wait = Math.max(this.job.spec.roundDeadlineSeconds * 1000, graceMs);
    round.timer = this.deps.clock.schedule(wait, () => this.onDeadline(round));
  }

  /**
   * The job ended: no round timer fires again, the sums are freed, updates of an unclosed
   * round are deleted, and so are the aggregates — those of a completed job once every
   * site has applied the last round (see releaseAggregatesWhenApplied).
   */
  stop(): void {
    for (const round of this.rounds) {
      round.timer?.cancel();
      round.freeSums();
    }
    this.blame?.dispose();
    this.blame = undefined;
    this.correction?.dispose();
    // A closed round keeps its updates until its aggregate is settled (blame needs them).
    discardBlobs(
      this.deps.blobs,
      [...unclosedUploadBlobs(this.rounds), ...this.rounds.flatMap(uploadBlobsOf)],
      this.deps.log,
    );
    this.releaseAggregates();
  }

  /** An ended job's aggregates go now — a completed job's once every site has applied its last round. */
  releaseAggregates(): void {
    if (this.job.state === 'completed') this.releaseAggregatesWhenApplied();
    else this.discardAggregates();
  }

  /** Deletes a completed job's aggregates now if every site applied the last round, else later. */
  private releaseAggregatesWhenApplied(): void {
    if (everyoneAppliedLast(this.rounds, this.job.accepted)) {
      this.discardAggregates();
      return;
    }
    this.aggregateTimer ??= this.deps.clock.schedule(AGGREGATE_GRACE_MS, () => this.discardAggregates());
  }

  private discardAggregates(): void {
    this.aggregateTimer?.cancel();
    discardBlobs(this.deps.blobs, aggregateBlobs(this.rounds), this.deps.log);
  }

  /** Whether a blob is an update or aggregate this job still refers to. */
  refersToBlob(digest: string): boolean {
    return this.rounds.some(
      (r) => r.aggregateDigest === digest || [...r.uploads.values()].some((u) => u.blobDigest === digest),
    );
  }

  /**
   * A site that missed rounds and has now applied the latest closed one (same model hash
   * as everyone) takes part again from the round being collected.
   */
  private readmitIfCaughtUp(siteId: string, reported: RoundRecord, modelHash: string): void {
    const current = this.current;
    if (current?.state !== 'collecting' || current.round !== reported.round + 1) return;
    const agreed = [...reported.reports.entries()].find(([site]) => site !== siteId)?.[1].modelHash;
    if (agreed !== modelHash) return;
    this.admitToCurrentRound(siteId);
  }

  /** Adds a site to the round being collected (audited) and sends it the round, unless it sent its update. */
  private admitToCurrentRound(siteId: string): void {
    const current = this.current;
    if (current?.state !== 'collecting' || this.excluded.has(siteId)) return;
    // Under masks the round's member set is fixed when it opens (the sites masked with it):
    // a site that caught up takes part from the next round instead.
    if (this.job.spec.he.masks === 'pairwise' && !current.participants.includes(siteId)) return;
    if (!current.participants.includes(siteId)) {
      this.deps.audit.append({
        actor: 'coordinator',
        action: 'round.opened',
        details: {
          jobId: this.job.id,
          round: current.round,
          participants: [...current.participants, siteId].sort(),
          rejoined: siteId,
        },
      });
      current.addParticipant(siteId);
      this.persistRound(current);
    }
    if (!current.uploads.has(siteId)) this.deps.hub.send(siteId, roundOpenTask(this.job.id, current));
  }

  private onDeadline(round: RoundRecord): void {
    const { spec } = this.job;
    if (this.job.isFinished() || round !== this.current) return;
    if (round.state === 'collecting') {
      for (const site of round.participants) {
        if (!round.uploads.has(site) && !round.absent.some((a) => a.siteId === site))
          round.absent.push({ siteId: site, reason: 'no update by the round deadline' });
      }
      if (round.uploads.size < spec.minSites) {
        this.hooks.finish(
          'failed',
          `round ${round.round}: ${round.uploads.size} update(s) by the deadline, minSites is ${spec.minSites}`,
        );
        return;
      }
      this.persistRound(round);
      this.enqueueClose(round);
      return;
    }
    if (round.state === 'closed') {
      if (this.blame) {
        this.blame.conclude();
        return;
      }
      for (const site of round.contributors) {
        if (!round.reports.has(site) && !round.invalidReports.has(site))
          round.absent.push({ siteId: site, reason: 'did not report the applied model by the deadline' });
      }
      this.afterReports(round);
    }
  }

  private enqueueClose(round: RoundRecord): void {
    const run = this.queue.then(() => this.closeRound(round));
    this.queue = run.catch((error) => {
      if (this.job.isFinished()) {
        this.deps.log?.('round.close-abandoned', {
          job: this.job.id,
          round: round.round,
          error: describe(error),
        });
        return;
      }
      this.hooks.finish('failed', `round ${round.round} could not close: ${describe(error)}`);
    });
  }

  private async closeRound(round: RoundRecord): Promise<void> {
    const corrected = this.correction?.round === round && this.correction.done;
    if ((round.state !== 'collecting' && !corrected) || this.job.isFinished()) return;
    if (!corrected && needsMaskCorrection(this.job.spec, round)) {
      // Masks with the dropped sites do not cancel: the survivors correct them first.
      round.state = 'aggregating';
      round.timer?.cancel();
      this.correction = new MaskCorrectionPhase(this.deps, this.job, round, () => this.enqueueClose(round));
      this.correction.start();
      return;
    }
    const summary = await this.aggregation.close(round);
    if (!summary) return; // the job ended while the round was being aggregated
    // The closed round (summary, aggregate) is durable now. Its updates stay until the sites
    // have checked the aggregate: if it is invalid, blame sums them again (afterReports).
    round.timer = this.deps.clock.schedule(this.job.spec.roundDeadlineSeconds * 1000, () =>
      this.onDeadline(round),
    );
    // Sites still waiting for their copy of the key get every closed round with their catch-up.
    for (const site of this.job.accepted) {
      if (this.hooks.keyBundleFor(site))
        this.deps.hub.send(site, roundClosedTask(this.job.id, round, summary));
    }
  }

  private afterReports(round: RoundRecord): void {
    const { spec } = this.job;
    if (this.job.isFinished() || this.blame) return;
    round.timer?.cancel();
    const invalid = round.invalidReports.size;
    if (
      invalid > 0 &&
      invalid * 2 > invalid + round.contributors.filter((s) => round.reports.has(s)).length
    ) {
      this.aggregateInvalid(round);
      return;
    }
    for (const [siteId, reason] of round.invalidReports)
      round.absent.push({
        siteId,
        reason: `reported the aggregate invalid (${reason}) while most applied it`,
      });
    // The aggregate is settled: the updates summed in it are no longer needed.
    discardBlobs(this.deps.blobs, uploadBlobsOf(round), this.deps.log);
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
      this.hooks.finish('failed', `round ${round.round}: sites disagree on the global model (${detail})`);
      return;
    }
    const agreed = [...hashes.keys()][0];
    const next = [...round.reports]
      .filter(([site, r]) => r.modelHash === agreed && !this.excluded.has(site))
      .map(([site]) => site)
      .sort();
    const diverged = [...round.reports.keys()].filter((s) => !next.includes(s) && !this.excluded.has(s));
    if (diverged.length > 0) {
      for (const siteId of diverged)
        round.absent.push({ siteId, reason: 'caught up to a different model hash; left out' });
      this.persistRound(round);
    }
    if (round.round + 1 >= totalRounds(spec)) {
      this.hooks.finish('completed', '');
      return;
    }
    if (next.length < spec.minSites) {
      this.hooks.finish(
        'failed',
        `after round ${round.round} only ${next.length} site(s) remain, minSites is ${spec.minSites}`,
      );
      return;
    }
    this.open(round.round + 1, next);
  }

  /**
   * Most contributors found the aggregate invalid: audit it, run blame over the stored
   * updates, then re-run the round without the culprit if blame named one (at most
   * MAX_ROUND_ATTEMPTS runs; then the job fails, naming the culprit if known).
   */
  private aggregateInvalid(round: RoundRecord): void {
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.aggregate-invalid',
      details: {
        jobId: this.job.id,
        round: round.round,
        attempt: round.attempt,
        reportedBy: [...round.invalidReports.keys()].sort(),
        reasons: [...new Set(round.invalidReports.values())],
      },
    });
    const blame = new RoundBlame(
      this.deps,
      { id: this.job.id, minSites: this.job.spec.minSites },
      round,
      (outcome) => this.afterBlame(round, outcome),
    );
    this.blame = blame;
    const run = this.queue.then(async () => {
      const probes = await blame.start();
      if (this.blame !== blame || this.job.isFinished()) return;
      for (const summary of probes)
        for (const site of round.contributors)
          this.deps.hub.send(site, roundClosedTask(this.job.id, round, summary));
      if (probes.length > 0)
        round.timer = this.deps.clock.schedule(this.job.spec.roundDeadlineSeconds * 1000, () =>
          this.onDeadline(round),
        );
    });
    this.queue = run.catch((error) => {
      this.deps.log?.('round.blame-failed', { job: this.job.id, round: round.round, error: describe(error) });
      if (this.blame === blame)
        this.afterBlame(round, { culprit: undefined, verdict: `blame failed: ${describe(error)}` });
    });
  }

  private afterBlame(round: RoundRecord, outcome: BlameOutcome): void {
    this.blame = undefined;
    round.timer?.cancel();
    if (this.job.isFinished() || round !== this.current) return;
    const named = outcome.culprit
      ? `; blame: ${outcome.verdict}`
      : `; culprit not identified (${outcome.verdict})`;
    if (outcome.culprit) this.excluded.add(outcome.culprit);
    if (round.attempt + 1 >= MAX_ROUND_ATTEMPTS) {
      this.hooks.finish(
        'failed',
        `round ${round.round}: aggregate invalid in ${round.attempt + 1} attempts${named}`,
      );
      return;
    }
    const participants = round.contributors.filter((s) => !this.excluded.has(s));
    if (participants.length < this.job.spec.minSites) {
      this.hooks.finish(
        'failed',
        `round ${round.round}: aggregate invalid and only ${participants.length} site(s) left to re-run it, minSites is ${this.job.spec.minSites}${named}`,
      );
      return;
    }
    const next = this.rerun(round, participants);
    // The re-run's summary and the job status say why the culprit is not counted.
    if (outcome.culprit) {
      next.absent.push({ siteId: outcome.culprit, reason: `named by blame: ${outcome.verdict}` });
      this.persistRound(next);
    }
  }

  /** Opens the next attempt of `round` with `participants`, forgetting the failed attempt's updates. */
  private rerun(failed: RoundRecord, participants: readonly string[]): RoundRecord {
    const { id, spec } = this.job;
    discardBlobs(this.deps.blobs, [...uploadBlobsOf(failed), ...aggregateBlobs([failed])], this.deps.log);
    failed.freeSums();
    this.deps.store.clearRound(id, failed.round);
    const now = this.deps.clock.now();
    const round = new RoundRecord(
      failed.round,
      [...participants].sort(),
      now,
      now + spec.roundDeadlineSeconds * 1000,
    );
    round.attempt = failed.attempt + 1;
    this.rounds[failed.round] = round;
    this.persistRound(round);
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.opened',
      details: {
        jobId: id,
        round: round.round,
        attempt: round.attempt,
        participants: round.participants,
        deadline: new Date(round.deadline).toISOString(),
      },
    });
    round.timer = this.deps.clock.schedule(round.deadline - now, () => this.onDeadline(round));
    for (const site of round.participants) this.deps.hub.send(site, roundOpenTask(id, round));
    return round;
  }

  private requireCorrection(header: UpdateHeader): MaskCorrectionPhase {
    const phase = this.correction;
    if (!phase || phase.round !== this.current)
      throw new HeflError('failed_precondition', `no mask correction is open for round ${header.round}`, {
        publicDetail: 'no mask correction is open for this round',
      });
    return phase;
  }

  private persistRound(round: RoundRecord): void {
    this.deps.store.saveRound(this.job.id, storedRound(round));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
