import { randomBytes } from 'node:crypto';
import { sha256, toHex } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import { isPlannedProbe } from '../common/fl/blame-plan.js';
import { type RoundLengths, roundLengthsFor } from '../common/fl/round-lengths.js';
import { EVALUATION_BINS } from '../common/fl/round-section-shapes.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import { type ParsedJob, totalRounds } from '../common/job/job-spec.js';
import type { EventLog } from '../common/log/event-log.js';
import { sealForResearcher } from '../common/protocol/sealed-metrics.js';
import { frameSection, type Section } from '../common/protocol/section-framing.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { Clock } from '../common/time/clock.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { type RoundSummary, UpdateHeader } from '../proto/gen/hefl/v1/messages.js';
import { checkAggregate } from './aggregate-check.js';
import type { AnalysisJob } from './analysis-job.js';
import { analysisJobFor } from './analysis-job-for.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { DEFAULT_MIN_CELL_SIZE } from './data/data-report.js';
import type { ColumnSpec, FeaturePipeline, TransformedTable } from './data/index.js';
import { finalModelRelease } from './final-model-release.js';
import { checkJoinRequest, sealKeyBundle } from './key-ceremony.js';
import type { ModelCard } from './model-release.js';
import { type DpFilterSettings, DpUpdateFilter } from './privacy/dp-update-filter.js';
import { MaskCorrectionResponder } from './privacy/mask-correction-responder.js';
import { MaskFilter, type SectionMasker } from './privacy/mask-filter.js';
import type { RecordDpPlan } from './privacy/record-dp-plan.js';
import { receiveCommittedKey } from './receive-committed-key.js';
import { retryUntilAcknowledged } from './retry-until-acknowledged.js';
import { applyAggregateUpdate } from './round/apply-aggregate-update.js';
import { checkRoundInclusion } from './round/check-round-inclusion.js';
import { downloadRoundAggregate } from './round/download-round-aggregate.js';
import { evaluationSection } from './round/evaluation-section.js';
import { featureStatsSections } from './round/feature-stats-sections.js';
import { openRoundMetrics } from './round/open-round-metrics.js';
import { outgoingFilterChain } from './round/outgoing-filter-chain.js';
import { prepareFeatures } from './round/prepare-features.js';
import { signRoundReport } from './round/sign-round-report.js';
import { trainLocalDelta } from './round/train-local-delta.js';
import { updateSection } from './round/update-section.js';
import { verifyRoundSummary } from './round/verify-round-summary.js';
import type { SiteAudit } from './site-audit.js';
import type { SiteDataset } from './site-dataset.js';
import type { FederationView, SiteKeys } from './site-keys.js';
import { createStrategy, modelHash, type ServerStrategy, type StrategyState } from './strategy/index.js';
import { initialWeights, type Trainer } from './training/index.js';
import { UpdateLedger } from './update-ledger.js';

export interface JobSessionDeps {
  readonly keys: SiteKeys;
  readonly federation: FederationView;
  readonly client: CoordinatorClient;
  readonly trainer: Trainer;
  readonly clock: Clock;
  readonly log: EventLog;
  readonly audit: SiteAudit;
}

/**
 * One job at one site. Records, the job's HE key and every plaintext weight stay in
 * this object; what leaves is ciphertext, signatures, hashes and ids. Rounds:
 * 0 = encrypted feature statistics; 1..R = train and send the encrypted update (plus
 * encrypted metrics of the current model); R+1 = final encrypted evaluation.
 */
export class JobSession {
  readonly jobId: string;
  readonly job: ParsedJob;
  private readonly researcherKey: Uint8Array;
  private readonly dataset: SiteDataset;
  private readonly strategy: ServerStrategy;
  /** Site-level DP (clip + Gaussian noise), the first of the outgoing filters, or null. */
  private readonly dp: DpUpdateFilter | null;
  /** Record-level DP (DP-SGD inside local training), or null. */
  private readonly dpSgd: RecordDpPlan | null;
  /** Pairwise masks under the encryption (job spec `he.masks: pairwise`), or null. */
  private readonly masks: MaskFilter | null;
  /** Answers the coordinator's signed requests for dropout corrections of those masks. */
  private readonly corrections: MaskCorrectionResponder | null;
  private cipher: SiteVectorCipher | undefined;
  private schema: ColumnSpec[];
  private train: TransformedTable | undefined;
  private test: TransformedTable | undefined;
  private global: Float32Array | undefined;
  private strategyState: StrategyState | null = null;
  /** Updates sent and their receipts, by round. */
  private readonly ledger: UpdateLedger;
  /** The signed report of every round applied, by round: each aggregate is applied exactly once. */
  private readonly reports = new Map<number, SignedEnvelope>();
  /** The last round whose aggregate this site applied (-1: none yet). */
  private appliedThrough = -1;
  /** The attempt of each round this site sent its update for (re-runs count up). */
  private readonly attempts = new Map<number, number>();
  /** Rounds whose aggregate this site found invalid: the attempt and its contributors (blame probes are checked against them). */
  private readonly invalid = new Map<number, { attempt: number; contributors: string[] }>();
  private lastLocalLoss = Number.NaN;
  private pipeline: FeaturePipeline | undefined;
  private lastMetrics: ModelCard['metrics'] | undefined;
  /** The final round's participants while this site's model release is not yet acknowledged. */
  private pendingRelease: readonly string[] | undefined;
  private closed = false;
  /** Whether this site releases the final model, and the privacy it spent (from acceptance). */
  private readonly release: { allowed: boolean; privacy: ModelCard['privacy'] };
  /** A GLM or stats job: rounds 1..R+1 send exact sums instead of training (client-node/glm, stats). */
  private readonly glm: AnalysisJob | undefined;
  /** This site's policy minimum: round-0 totals below the largest sites' minimum are not shown to the researcher. */
  private readonly minCellSize: number;

  constructor(
    private readonly deps: JobSessionDeps,
    init: {
      jobId: string;
      job: ParsedJob;
      researcherKey: Uint8Array;
      dataset: SiteDataset;
      /** Site-level DP settings agreed at acceptance; null = no DP filter. */
      dp?: DpFilterSettings | null;
      /** Record-level DP: this site's DP-SGD settings for every round; null = plain training. */
      dpSgd?: RecordDpPlan | null;
      /** This site's policy on model release, and the privacy spent for this job. */
      release?: { allowed: boolean; privacy: ModelCard['privacy'] };
      /** This site's minimum cell size (site policy `minCellSize`, default 5). */
      minCellSize?: number;
    },
  ) {
    this.jobId = init.jobId;
    this.job = init.job;
    this.researcherKey = init.researcherKey;
    this.dataset = init.dataset;
    this.strategy = createStrategy(init.job.spec.strategy);
    this.dp = init.dp ? new DpUpdateFilter(init.dp) : null;
    this.dpSgd = init.dpSgd ?? null;
    this.masks =
      init.job.spec.he.masks === 'pairwise'
        ? new MaskFilter(deps, { jobId: init.jobId, minSites: init.job.spec.minSites })
        : null;
    this.corrections = this.masks
      ? new MaskCorrectionResponder(deps, { jobId: init.jobId, minSites: init.job.spec.minSites }, this.masks)
      : null;
    this.release = init.release ?? { allowed: true, privacy: null };
    this.minCellSize = init.minCellSize ?? DEFAULT_MIN_CELL_SIZE;
    const model = init.job.spec.model;
    this.glm = analysisJobFor(model, totalRounds(init.job.spec) - 1, this.minCellSize);
    this.ledger = new UpdateLedger({ ...deps, jobId: init.jobId, siteId: deps.keys.siteId });
    this.schema = [...init.dataset.train.featureColumns].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  get spec() {
    return this.job.spec;
  }

  /** The lengths this site's uploads will have, from its schema alone (stated in its signed acceptance). */
  get roundLengths(): RoundLengths {
    return roundLengthsFor(this.spec.model, this.schema);
  }

  get quantizer() {
    return { clipRange: this.spec.he.clipRange, maxSites: this.spec.maxSites };
  }

  /** The dealer made the cipher itself; other sites receive it sealed. */
  setCipher(cipher: SiteVectorCipher): void {
    this.cipher?.delete();
    this.cipher = cipher;
  }

  /** `dealerBundle`: the dealer's own bundle, relayed when `envelope` is another holder's copy. */
  async acceptKeyBundle(envelope: SignedEnvelope, dealerBundle?: SignedEnvelope): Promise<void> {
    if (this.cipher) return;
    const { cipher, holder: dealer } = await receiveCommittedKey(
      this.deps,
      { jobId: this.jobId, profileId: this.spec.he.profile, quantizer: this.quantizer },
      envelope,
      dealerBundle,
    );
    this.cipher = cipher;
    this.deps.log('key.received', { job: this.jobId, dealer });
  }

  /**
   * Seals this job's HE key to a site that accepted the running job later (or restarted
   * and lost it), after checking its signed acceptance and taking its sealing key from the
   * manifest. Returns the signed bundle for the coordinator to relay.
   */
  grantKeyTo(request: { siteId: string; decision: SignedEnvelope }): SignedEnvelope {
    const cipher = this.requireCipher();
    const site = checkJoinRequest(this.deps.federation, request, {
      jobId: this.jobId,
      jobHash: this.job.hash,
    });
    if (site.siteId === this.deps.keys.siteId)
      throw new HeflError('invalid_argument', 'asked to grant the job key to this site itself');
    return sealKeyBundle(this.deps.keys, cipher, { jobId: this.jobId, profileId: this.spec.he.profile }, [
      site,
    ]);
  }

  /** `participants`: the sites the round expects (this one included), the members of its masks. */
  async onRoundOpen(round: number, attempt = 0, participants: readonly string[] = []): Promise<void> {
    // A repeated open (replayed on reconnect) for a round whose update already has a receipt.
    if (this.ledger.hasReceipt(round) && (this.attempts.get(round) ?? 0) >= attempt) return;
    if (this.reports.has(round)) return;
    if ((this.attempts.get(round) ?? -1) > attempt) return;
    this.attempts.set(round, attempt);
    const cipher = this.requireCipher();
    const t = cipher.plainModulus;
    const mask: SectionMasker | undefined =
      this.masks && t !== undefined ? this.masks.forRound(round, attempt, participants, t) : undefined;
    const sections =
      round === 0
        ? featureStatsSections({
            cipher,
            dataset: this.dataset,
            schema: this.schema,
            spec: this.spec,
            mask,
            minCellSize: this.minCellSize,
          })
        : this.glm
          ? [this.glm.section(cipher, mask)]
          : await this.trainingSections(round, attempt, cipher, mask);
    await this.upload(round, sections);
  }

  /**
   * A training round's upload: the evaluation of the current global model and, before the
   * final round, the local update through the site's outgoing filter chain.
   */
  private async trainingSections(
    round: number,
    attempt: number,
    cipher: SiteVectorCipher,
    mask: SectionMasker | undefined,
  ): Promise<Section[]> {
    const global = this.requireGlobal();
    const train = this.train!;
    const test = this.test!;
    const sums = await this.deps.trainer.evaluate({
      spec: this.spec.model,
      inputDim: train.cols,
      weights: global,
      ...test,
      bins: EVALUATION_BINS,
    });
    const sections: Section[] = [];
    if (round < totalRounds(this.spec) - 1) {
      const local = await trainLocalDelta(this.deps.trainer, {
        spec: this.spec,
        round,
        global,
        train,
        dpSgd: this.dpSgd,
      });
      this.lastLocalLoss = local.meanLoss;
      const filters = outgoingFilterChain({
        dp: this.dp,
        cipher,
        job: { weightCap: this.spec.weightCap, clipRange: this.spec.he.clipRange },
      });
      sections.push(
        updateSection(
          filters,
          local.delta,
          { jobId: this.jobId, round, attempt, samples: local.samples, mask },
          this.deps,
        ),
      );
    }
    sections.push(evaluationSection(cipher, sums, mask));
    return sections;
  }

  /**
   * Verifies the coordinator's signed summary, checks this site's update is in the
   * round's Merkle root, decrypts the aggregate, applies it, and reports the new
   * model's hash (and the sealed metrics). A failed check stops this job loudly.
   */
  async onRoundClosed(summaryEnvelope: SignedEnvelope): Promise<void> {
    const { coordinatorSigningKey } = this.deps.federation;
    const summary = verifyRoundSummary(summaryEnvelope, coordinatorSigningKey, this.jobId);
    if (summary.maskCorrection) {
      if (!this.corrections)
        throw new HeflError('integrity', 'mask correction asked for a job without masks');
      await this.corrections.answer(summary, this.requireCipher(), (s) => this.ledger.checkInclusion(s));
      return;
    }
    if (summary.probe > 0) {
      await this.onBlameProbe(summary);
      return;
    }
    const applied = this.reports.get(summary.round);
    if (applied) {
      // Already applied (the coordinator replays a close whose report it never got): never
      // apply an aggregate twice; send the same signed report again (and the release, if
      // that was lost too).
      await this.sendUntilAcknowledged('report', () => this.deps.client.report(applied));
      if (this.pendingRelease) await this.postRelease(this.pendingRelease);
      return;
    }
    if (summary.round > 0 && this.appliedThrough !== summary.round - 1) {
      throw new HeflError(
        'failed_precondition',
        `round ${summary.round} closed but this site has applied rounds only through ${this.appliedThrough}`,
      );
    }
    const observer = await checkRoundInclusion(summary, {
      jobId: this.jobId,
      ledger: this.ledger,
      audit: this.deps.audit,
      log: this.deps.log,
    });
    this.deps.audit.recordHead(summary.auditHeadJson, coordinatorSigningKey);
    const sections = await downloadRoundAggregate(this.deps.client, summary, this.deps.keys.siteId);
    const contributors = summary.participants.length;
    const cipher = this.requireCipher();
    const problems = checkAggregate(
      cipher,
      sections,
      contributors,
      summary.round === 0 ? this.schema : undefined,
      summary.round === 0 ? this.spec.data : undefined,
    );
    if (problems.length > 0) {
      await this.reportInvalid(summary, problems.join('; '), observer);
      return;
    }
    const sealed =
      summary.round === 0
        ? this.applyFeatureRound(cipher, sections, contributors)
        : this.glm
          ? this.applyGlmRound(this.glm, cipher, sections, summary.round, contributors)
          : this.applyTrainingRound(cipher, sections, summary.round, contributors);
    const report = signRoundReport(this.deps.keys, {
      jobId: this.jobId,
      round: summary.round,
      attempt: summary.attempt,
      modelHash: modelHash(this.requireGlobal()),
      sealed,
      siteAuditHeadJson: this.deps.audit.headJson(),
    });
    this.reports.set(summary.round, report);
    this.appliedThrough = summary.round;
    // The sites of the final round answer for the model; one that only observed it does not.
    const final = summary.round === totalRounds(this.spec) - 1;
    if (final && this.spec.release.toResearcher && !observer) this.pendingRelease = summary.participants;
    await this.sendUntilAcknowledged('report', () => this.deps.client.report(report));
    if (this.pendingRelease) await this.postRelease(this.pendingRelease);
  }

  /** Round 0 closed: the feature pipeline, the transformed splits and the initial model. */
  private applyFeatureRound(cipher: SiteVectorCipher, sections: Section[], contributors: number): Sealed {
    const prepared = prepareFeatures({
      cipher,
      sections,
      contributors,
      schema: this.schema,
      spec: this.spec,
      dataset: this.dataset,
      researcherKey: this.researcherKey,
    });
    const { pipeline } = prepared;
    this.pipeline = pipeline;
    this.train = prepared.train;
    this.test = prepared.test;
    if (this.glm) {
      this.glm.prepare(pipeline, [this.dataset.train, this.dataset.test]);
      this.global = this.glm.state();
    } else this.global = initialWeights(this.spec.model, pipeline.cols, this.spec.seed);
    this.deps.log('features.ready', {
      job: this.jobId,
      features: pipeline.cols,
      trainRows: prepared.train.rows,
      testRows: prepared.test.rows,
    });
    return prepared.sealed;
  }

  /** A GLM or stats round closed (one IRLS iteration, or the tables); its report is sealed to the researcher. */
  private applyGlmRound(
    glm: AnalysisJob,
    cipher: SiteVectorCipher,
    sections: Section[],
    round: number,
    contributors: number,
  ): Sealed {
    const report = glm.apply(cipher, sections, contributors, round);
    this.global = glm.state();
    this.deps.log('analysis.round', { job: this.jobId, round, kind: report.kind });
    return sealForResearcher(new TextEncoder().encode(JSON.stringify(report)), this.researcherKey);
  }

  /** A training round closed: the metrics of the model it started from, then the strategy step. */
  private applyTrainingRound(
    cipher: SiteVectorCipher,
    sections: Section[],
    round: number,
    contributors: number,
  ): Sealed {
    const { metrics, sealed } = openRoundMetrics({
      cipher,
      sections,
      contributors,
      modelRound: round - 1,
      researcherKey: this.researcherKey,
    });
    this.lastMetrics = metrics;
    const step = applyAggregateUpdate({
      cipher,
      sections,
      contributors,
      clipRange: this.spec.he.clipRange,
      strategy: this.strategy,
      global: this.requireGlobal(),
      state: this.strategyState,
    });
    if (step) {
      this.global = step.weights;
      this.strategyState = step.state;
    }
    this.deps.log('round.applied', {
      job: this.jobId,
      round,
      contributors,
      localLoss: round4(this.lastLocalLoss),
    });
    return sealed;
  }

  /**
   * Sends a signed message the coordinator must not lose (it is idempotent there) until it
   * is acknowledged: a coordinator that crashed and restarted gets it again.
   */
  private sendUntilAcknowledged(what: string, send: () => Promise<void>): Promise<void> {
    return retryUntilAcknowledged(send, {
      clock: this.deps.clock,
      log: this.deps.log,
      describe: { what, job: this.jobId },
      stopped: () => this.closed,
    });
  }

  /**
   * The aggregate cannot be a sum of honest updates: do not apply it; record it, tell the
   * coordinator (signed) and get ready for the round's re-run.
   */
  private async reportInvalid(summary: RoundSummary, reason: string, observer: boolean): Promise<void> {
    const { round, attempt } = summary;
    this.deps.audit.record('site.aggregate-invalid', { jobId: this.jobId, round, attempt, reason });
    this.deps.log('round.aggregate-invalid', { job: this.jobId, round, attempt, reason });
    if (!observer) this.invalid.set(round, { attempt, contributors: [...summary.participants] });
    this.ledger.forget(round);
    await this.deps.client.report(
      this.signedReport(round, attempt, { aggregateInvalid: true, invalidReason: reason }),
    );
  }

  /**
   * A blame probe of a round whose aggregate this site found invalid: decrypts it only if
   * it is exactly one of the sets the blame plan allows for that attempt's contributors
   * (recomputed here, never taken from the coordinator), and answers with a signed
   * validity bit. The decrypted values go nowhere.
   */
  private async onBlameProbe(summary: RoundSummary): Promise<void> {
    const { round, attempt, probe } = summary;
    const failed = this.invalid.get(round);
    const members = [...summary.participants];
    const planned =
      failed?.attempt === attempt && isPlannedProbe(failed.contributors, this.spec.minSites, probe, members);
    if (!planned) {
      this.deps.audit.record('site.probe-refused', { jobId: this.jobId, round, attempt, probe });
      throw new HeflError(
        'integrity',
        `round ${round}: blame probe ${probe} is not one this site may decrypt`,
      );
    }
    const sections = await downloadRoundAggregate(this.deps.client, summary, this.deps.keys.siteId);
    const problems = checkAggregate(
      this.requireCipher(),
      sections,
      members.length,
      round === 0 ? this.schema : undefined,
      round === 0 ? this.spec.data : undefined,
    );
    this.deps.audit.record('site.probe-checked', {
      jobId: this.jobId,
      round,
      attempt,
      probe,
      valid: problems.length === 0,
    });
    await this.deps.client.report(
      this.signedReport(round, attempt, {
        aggregateInvalid: problems.length > 0,
        invalidReason: problems.join('; '),
        probe,
      }),
    );
  }

  private signedReport(
    round: number,
    attempt: number,
    fields: { aggregateInvalid: boolean; invalidReason: string; probe?: number },
  ): SignedEnvelope {
    return signRoundReport(this.deps.keys, { jobId: this.jobId, round, attempt, ...fields });
  }

  /** After the final round: the model sealed to the researcher, or this site's signed refusal. */
  private async postRelease(participants: readonly string[]): Promise<void> {
    const {
      envelope,
      allowed,
      modelHash: hash,
    } = await finalModelRelease({
      keys: this.deps.keys,
      jobId: this.jobId,
      job: this.job,
      researcherKey: this.researcherKey,
      weights: this.requireGlobal(),
      pipeline: this.pipeline,
      metrics: this.lastMetrics,
      glm: this.glm?.cardTable(),
      participants,
      release: this.release,
      now: this.deps.clock.now(),
    });
    await this.sendUntilAcknowledged('model release', () => this.deps.client.postModelRelease(envelope));
    this.pendingRelease = undefined;
    this.deps.log('model.release', { job: this.jobId, allowed, modelHash: hash.slice(0, 16) });
  }

  /** The final global model's weights (site side only; for release under the sites' policy). */
  globalWeights(): Float32Array | undefined {
    return this.global;
  }

  close(): void {
    this.closed = true;
    this.cipher?.delete();
    this.cipher = undefined;
  }

  private async upload(round: number, sections: Section[]): Promise<void> {
    const framed = sections.map(frameSection);
    const hasher = sha256(...framed.flatMap((f) => f.bytes));
    const header = signMessage(
      SigningContext.updateHeader,
      UpdateHeader,
      {
        jobId: this.jobId,
        round,
        siteId: this.deps.keys.siteId,
        nonce: randomBytes(16),
        sections: framed.map((f) => f.layout),
        payloadDigest: Buffer.from(hasher),
        sentAtMs: this.deps.clock.now(),
        attempt: this.attempts.get(round) ?? 0,
      },
      this.deps.keys.signingSecretKey,
    );
    const bytes = framed.reduce((a, f) => a + f.layout.byteLength, 0);
    this.deps.audit.record('site.sent', {
      jobId: this.jobId,
      round,
      updateDigest: toHex(sha256(header.payload)),
      bytes,
    });
    const sentDigest = toHex(sha256(header.payload));
    this.ledger.recordSent(round, sentDigest);
    const receiptEnvelope = await this.deps.client.upload(
      header,
      framed.flatMap((f) => f.bytes),
    );
    this.ledger.acceptReceipt(round, receiptEnvelope, new Set([sentDigest]), this.attempts.get(round) ?? 0);
    this.deps.log('update.sent', {
      job: this.jobId,
      round,
      bytes: framed.reduce((a, f) => a + f.layout.byteLength, 0),
    });
  }

  private requireCipher(): SiteVectorCipher {
    if (!this.cipher) throw new HeflError('failed_precondition', `job ${this.jobId}: no HE key yet`);
    return this.cipher;
  }

  private requireGlobal(): Float32Array {
    if (!this.global) throw new HeflError('failed_precondition', `job ${this.jobId}: no global model yet`);
    return this.global;
  }
}

/** Bytes sealed to the researcher with a round's report (metrics, data report, GLM report). */
type Sealed = { nonce: Uint8Array; sealed: Uint8Array } | undefined;

function round4(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null;
}
