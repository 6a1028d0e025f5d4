import { randomBytes } from 'node:crypto';
import { HeflError } from '../common/errors/index.js';
import { parseJobBytes } from '../common/job/job-spec.js';
import type { EventLog } from '../common/log/event-log.js';
import { openMessage, signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { Clock } from '../common/time/clock.js';
import { JobDecision, JobSubmission, SiteHello } from '../proto/gen/hefl/v1/messages.js';
import type { JobOffer, KeyCeremony, KeyGrantRequest, Task } from '../proto/gen/hefl/v1/services.js';
import { classifyConnectionFailure } from './connection-failure.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { JobSession } from './job-session.js';
import { dealKeys } from './key-ceremony.js';
import { ApprovalWaiter } from './policy/approval-waiter.js';
import { evaluateJob } from './policy/evaluate-job.js';
import { pendingOfferOf } from './policy/pending-offers.js';
import { defaultPolicyContext, type SitePolicyContext } from './policy/site-policy-context.js';
import { retryUntilAcknowledged } from './retry-until-acknowledged.js';
import type { SiteAudit } from './site-audit.js';
import { loadSiteDataset, type SiteDataSource } from './site-dataset.js';
import type { FederationView, SiteKeys } from './site-keys.js';
import type { Trainer } from './training/index.js';

export interface SiteNodeDeps {
  readonly keys: SiteKeys;
  readonly federation: FederationView;
  readonly client: CoordinatorClient;
  readonly trainer: Trainer;
  readonly clock: Clock;
  readonly data: SiteDataSource;
  readonly log: EventLog;
  /** Error/warning-level log lines (default: `log`). */
  readonly logError?: EventLog;
  readonly logWarn?: EventLog;
  /** Called once, after the node stopped, when the coordinator refuses this site for good. */
  readonly onPermanentFailure?: (failure: { reason: string; whatToDo: string }) => void;
  readonly audit: SiteAudit;
  /** The hospital's rules for which jobs this site takes part in, and its privacy budget. */
  readonly policy?: SitePolicyContext;
  /** Called when a job ends (for `hefl simulate` and tests). */
  readonly onJobEnded?: (jobId: string, state: string, reason: string) => void;
}

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 15_000;
/** Failed attempts in a row after which an unreachable coordinator is logged as a warning. */
export const WARN_AFTER_ATTEMPTS = 5;

/**
 * A hospital's node: dials out to the coordinator, keeps the task stream open
 * (reconnecting with exponential backoff and jitter), and runs each accepted job in a
 * {@link JobSession}. Tasks of one job are handled one at a time, in order.
 */
export class SiteNode {
  private readonly sessions = new Map<string, JobSession>();
  /** Final global models of finished jobs (site-local plaintext; for release under policy). */
  private readonly finalModels = new Map<string, Float32Array>();
  private readonly queues = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private attempt = 0;

  private readonly policy: SitePolicyContext;
  /** Offers held until hospital IT approves or declines them (`approval: explicit`). */
  private readonly approvalWaiter: ApprovalWaiter;

  constructor(private readonly deps: SiteNodeDeps) {
    this.policy = deps.policy ?? defaultPolicyContext();
    const { pendingOffers } = this.policy;
    this.approvalWaiter = new ApprovalWaiter({
      clock: deps.clock,
      decisions: this.policy.approvals,
      ...(pendingOffers ? { publish: (offers) => pendingOffers.write(offers) } : {}),
      redeliver: (offer) => this.dispatch({ kind: { $case: 'jobOffer', value: offer } }),
      log: deps.log,
    });
  }

  start(): void {
    this.deps.client.onAuditHead((head) =>
      this.deps.audit.recordHead(head, this.deps.federation.coordinatorSigningKey),
    );
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.approvalWaiter.stop();
    this.unsubscribe?.();
    for (const session of this.sessions.values()) session.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const { keys } = this.deps;
    const hello = signMessage(
      SigningContext.siteHello,
      SiteHello,
      {
        siteId: keys.siteId,
        nonce: randomBytes(16),
        sentAtMs: this.deps.clock.now(),
        sealingPublicKey: Buffer.from(keys.sealingPublicKey),
        activeJobs: [...this.sessions.keys()],
        siteAuditHeadJson: Buffer.from(this.deps.audit.headJson()),
      },
      keys.signingSecretKey,
    );
    this.unsubscribe = this.deps.client.subscribe(
      hello,
      (task) => {
        this.attempt = 0;
        this.dispatch(task);
      },
      (error) => this.reconnect(error),
    );
    this.deps.log('site.connecting', { site: keys.siteId });
  }

  private reconnect(error?: Error): void {
    if (this.stopped) return;
    const failure = classifyConnectionFailure(error);
    if (failure.permanent) {
      // Retrying cannot help: say what to do and stop, so a service manager sees the failure.
      (this.deps.logError ?? this.deps.log)('site.refused-permanently', {
        reason: failure.reason,
        whatToDo: failure.whatToDo,
      });
      this.stop();
      this.deps.onPermanentFailure?.({ reason: failure.reason, whatToDo: failure.whatToDo });
      return;
    }
    this.attempt++;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.attempt, 10));
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    const log = this.attempt >= WARN_AFTER_ATTEMPTS ? (this.deps.logWarn ?? this.deps.log) : this.deps.log;
    log(this.attempt >= WARN_AFTER_ATTEMPTS ? 'site.unreachable' : 'site.disconnected', {
      reason: failure.reason,
      attempt: this.attempt,
      retryInMs: delay,
    });
    this.deps.clock.schedule(delay, () => this.connect());
  }

  private dispatch(task: Task): void {
    const kind = task.kind;
    if (!kind) return;
    if (kind.$case === 'manifest') {
      this.onManifest(kind.value.signedManifestJson);
      return;
    }
    if (kind.$case === 'auditHead') {
      this.deps.audit.recordHead(kind.value.auditHeadJson, this.deps.federation.coordinatorSigningKey);
      return;
    }
    const jobId = kind.value.jobId;
    const run = async () => {
      switch (kind.$case) {
        case 'jobOffer':
          return this.onOffer(kind.value);
        case 'keyCeremony':
          return this.onKeyCeremony(kind.value);
        case 'keyBundle':
          return this.session(jobId)?.acceptKeyBundle(required(kind.value.bundle), kind.value.dealerBundle);
        case 'roundOpen':
          return this.session(kind.value.jobId)?.onRoundOpen(
            kind.value.round,
            kind.value.attempt,
            kind.value.participants,
          );
        case 'roundClosed':
          return this.session(jobId)?.onRoundClosed(required(kind.value.summary));
        case 'jobEnded':
          this.deps.audit.recordHead(kind.value.auditHeadJson, this.deps.federation.coordinatorSigningKey);
          return this.onJobEnded(kind.value.jobId, kind.value.state, kind.value.reason);
        case 'keyGrant':
          return this.onKeyGrant(kind.value);
      }
    };
    const key = jobId;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(run).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log('task.failed', { task: kind.$case, job: jobId, error: message.slice(0, 300) });
    });
    this.queues.set(key, next);
  }

  private async onOffer(offer: JobOffer): Promise<void> {
    if (this.sessions.has(offer.jobId)) return;
    const { federation, keys, client } = this.deps;
    let accept = false;
    let reason = '';
    let session: JobSession | undefined;
    let privacy: Record<string, number | string> | undefined;
    let pending = false;
    try {
      const { message: submission, signer } = openMessage(
        SigningContext.jobSubmission,
        JobSubmission,
        offer.submission,
        (pk) => federation.memberBySigningKey(pk)?.role === 'researcher',
      );
      const job = parseJobBytes(submission.specJson);
      if (job.hash !== offer.jobHash)
        throw new HeflError('integrity', 'offered job hash does not match the researcher’s spec');
      const { policy } = this;
      // A site that restarted and is rejoining a job it accepted before already reserved
      // that job's epsilon: judge the job as if it had not, and never charge it twice.
      const ledger = policy.budget.current();
      const reservedBefore = ledger.spent.find((s) => s.jobHash === job.hash)?.epsilon ?? 0;
      // Loaded first: record-level DP chooses this site's noise from its own row count.
      const dataset = await loadSiteDataset(this.deps.data, job.spec);
      const evaluation = evaluateJob({
        policy: policy.policy,
        spec: job.spec,
        jobHash: job.hash,
        budget: { ...ledger, spent: ledger.spent.filter((s) => s.jobHash !== job.hash) },
        approvals: await policy.approvals.approved(),
        sitesExpected: job.spec.minSites,
        trainRows: dataset.train.rows,
        siteRecords: dataset.train.rows + dataset.test.rows,
      });
      if (!evaluation.accept && evaluation.awaitingApproval) {
        if ((await policy.approvals.declined?.())?.has(job.hash)) {
          const declined = "declined by this site's operator (hefl site decline)";
          throw new HeflError('failed_precondition', declined, { publicDetail: declined });
        }
        // Held, not declined: the job waits for this site until its recruiting deadline.
        const researcher = federation.memberBySigningKey(signer)?.id ?? 'unknown researcher';
        pending = true;
        await this.approvalWaiter.hold(offer, pendingOfferOf(offer, job, researcher, this.deps.clock.now()));
        await this.sendPending(offer);
        return;
      }
      if (!evaluation.accept) {
        throw new HeflError('failed_precondition', evaluation.reason, { publicDetail: evaluation.reason });
      }
      this.deps.log('data.loaded', {
        job: offer.jobId,
        ...dataset.report,
        trainRows: dataset.train.rows,
        testRows: dataset.test.rows,
      });
      session = new JobSession(this.deps, {
        jobId: offer.jobId,
        job,
        researcherKey: new Uint8Array(submission.researcherSealingKey),
        dataset,
        dp: evaluation.dp,
        dpSgd: evaluation.dpSgd,
        minCellSize: policy.policy.minCellSize,
        release: {
          allowed: policy.policy.allowRelease,
          // Record-level: no sigma, q or steps on the card, they would reveal this site's row count.
          privacy:
            evaluation.epsilonThisJob <= 0 || evaluation.unit === null
              ? null
              : evaluation.unit === 'record'
                ? { unit: 'record', epsilon: evaluation.epsilonThisJob, delta: job.spec.dp?.delta ?? 0 }
                : {
                    unit: 'site',
                    epsilon: evaluation.epsilonThisJob,
                    delta: job.spec.dp?.delta ?? 0,
                    noiseMultiplier: evaluation.noiseMultiplier,
                  },
        },
      });
      if (evaluation.epsilonThisJob > 0 && evaluation.unit !== null) {
        // The whole job's epsilon is reserved up front: concurrent jobs cannot over-commit the budget.
        const owed = evaluation.epsilonThisJob - reservedBefore;
        const after = owed > 0 ? await policy.budget.spend(job.hash, owed, evaluation.unit) : ledger;
        privacy = {
          unit: evaluation.unit,
          epsilon: evaluation.epsilonThisJob,
          delta: job.spec.dp?.delta ?? 0,
          noiseMultiplier: evaluation.noiseMultiplier,
          ...(evaluation.dpSgd
            ? {
                samplingRate: evaluation.dpSgd.samplingRate,
                steps: evaluation.dpSgd.steps,
                epsilonAccounted: evaluation.dpSgd.epsilon,
              }
            : {}),
          epsilonRemaining: after.epsilonTotal - after.spent.reduce((a, s) => a + s.epsilon, 0),
        };
      }
      accept = true;
    } catch (error) {
      if (pending) throw error;
      reason =
        error instanceof HeflError ? (error.publicDetail ?? error.message) : 'the job could not be read';
    }
    if (session) this.sessions.set(offer.jobId, session);
    const decision = signMessage(
      SigningContext.jobDecision,
      JobDecision,
      {
        jobId: offer.jobId,
        jobHash: offer.jobHash,
        siteId: keys.siteId,
        accept,
        reason,
        nonce: randomBytes(16),
        // The sizes this site will upload, stated before round 0 (the coordinator fixes the layout).
        ...(accept && session ? session.roundLengths : {}),
      },
      keys.signingSecretKey,
    );
    this.deps.audit.record(accept ? 'site.accepted' : 'site.declined', {
      ...(privacy ? { privacy } : {}),
      jobId: offer.jobId,
      jobHash: offer.jobHash,
      reason,
    });
    try {
      // Until acknowledged: a reply lost in a coordinator crash must not drop a job the
      // coordinator may have recorded as accepted (deciding again is idempotent there).
      await retryUntilAcknowledged(() => client.decide(decision), {
        clock: this.deps.clock,
        log: this.deps.log,
        describe: { what: 'decision', job: offer.jobId },
        stopped: () => this.stopped,
      });
    } catch (error) {
      // Refused (e.g. a running job that already has maxSites): this site is not in the job.
      this.sessions.get(offer.jobId)?.close();
      this.sessions.delete(offer.jobId);
      throw error;
    }
    this.deps.log(accept ? 'job.accepted' : 'job.declined', { job: offer.jobId, reason });
  }

  /** Tells the coordinator this site holds the offer for its operator's approval (neither yes nor no). */
  private async sendPending(offer: JobOffer): Promise<void> {
    const { keys } = this.deps;
    const notice = signMessage(
      SigningContext.jobDecision,
      JobDecision,
      {
        jobId: offer.jobId,
        jobHash: offer.jobHash,
        siteId: keys.siteId,
        accept: false,
        pending: true,
        reason: "waiting for this site's operator to approve the job (approval: explicit)",
        nonce: randomBytes(16),
      },
      keys.signingSecretKey,
    );
    await retryUntilAcknowledged(() => this.deps.client.decide(notice), {
      clock: this.deps.clock,
      log: this.deps.log,
      describe: { what: 'pending notice', job: offer.jobId },
      stopped: () => this.stopped,
    });
  }

  /** Seals a running job's key to a site that joined later, if this site holds the key. */
  private async onKeyGrant(request: KeyGrantRequest): Promise<void> {
    const session = this.session(request.jobId);
    if (!session)
      throw new HeflError('failed_precondition', `asked to grant the key of unknown job ${request.jobId}`);
    const bundle = session.grantKeyTo({ siteId: request.siteId, decision: required(request.decision) });
    await this.deps.client.postKeyBundle(bundle);
    this.deps.audit.record('site.key-granted', { jobId: request.jobId, to: request.siteId });
    this.deps.log('key.granted', { job: request.jobId, to: request.siteId });
  }

  private async onKeyCeremony(ceremony: KeyCeremony): Promise<void> {
    const session = this.session(ceremony.jobId);
    if (!session)
      throw new HeflError('failed_precondition', `asked to deal keys for unknown job ${ceremony.jobId}`);
    const { cipher, bundle } = await dealKeys(
      this.deps.keys,
      { jobId: ceremony.jobId, profileId: session.spec.he.profile, quantizer: session.quantizer },
      ceremony.sites.map((s) => ({ siteId: s.siteId, sealingPublicKey: new Uint8Array(s.sealingPublicKey) })),
    );
    session.setCipher(cipher);
    await this.deps.client.postKeyBundle(bundle);
    this.deps.log('key.dealt', { job: ceremony.jobId, sites: ceremony.sites.length });
  }

  private onManifest(signedJson: Uint8Array): void {
    const { federation } = this.deps;
    if (!federation.update) return;
    try {
      const applied = federation.update(signedJson);
      this.deps.log(applied ? 'manifest.updated' : 'manifest.stale-ignored', {});
    } catch (error) {
      this.deps.log('manifest.refused', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** The final global model of a finished job this site took part in (never sent anywhere). */
  finalModel(jobId: string): Float32Array | undefined {
    return this.finalModels.get(jobId);
  }

  private onJobEnded(jobId: string, state: string, reason: string): void {
    this.deps.log('job.ended', { job: jobId, state, reason });
    void this.approvalWaiter.release(jobId);
    const weights = this.sessions.get(jobId)?.globalWeights();
    if (weights && state === 'completed') this.finalModels.set(jobId, weights);
    this.sessions.get(jobId)?.close();
    this.sessions.delete(jobId);
    this.deps.onJobEnded?.(jobId, state, reason);
  }

  private session(jobId: string): JobSession | undefined {
    return this.sessions.get(jobId);
  }
}

function required<T>(value: T | undefined): T {
  if (!value) throw new HeflError('invalid_argument', 'task is missing its signed envelope');
  return value;
}
