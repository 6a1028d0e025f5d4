import { randomBytes } from 'node:crypto';
import { bytesEqual, sha256, toHex } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import { isPlannedProbe } from '../common/fl/blame-plan.js';
import { type RoundLengths, roundLengthsFor } from '../common/fl/round-lengths.js';
import { EVALUATION_BINS } from '../common/fl/round-section-shapes.js';
import { decodeWeightedMean, encodeWeightedUpdate } from '../common/fl/weighted-update.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import { featureSalt, type ParsedJob, totalRounds } from '../common/job/job-spec.js';
import { sealDataReport } from '../common/protocol/sealed-data-report.js';
import { sealGlmReport } from '../common/protocol/sealed-glm-report.js';
import { sealMetrics } from '../common/protocol/sealed-metrics.js';
import {
  frameSection,
  layoutFromProto,
  type Section,
  unframeSection,
} from '../common/protocol/section-framing.js';
import { openMessage, signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { Clock } from '../common/time/clock.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { RoundReport, RoundSummary, UpdateHeader } from '../proto/gen/hefl/v1/messages.js';
import { checkAggregate } from './aggregate-check.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { dataReportFromSum, dataReportVector, reportedFeatures } from './data/data-report.js';
import { type ColumnSpec, computeLocalStats, FeaturePipeline, type TransformedTable } from './data/index.js';
import { finalModelRelease } from './final-model-release.js';
import { GlmJob } from './glm/glm-job.js';
import { checkJoinRequest, receiveKeys, sealKeyBundle } from './key-ceremony.js';
import type { ModelCard } from './model-release.js';
import { type DpFilterSettings, DpUpdateFilter } from './privacy/dp-update-filter.js';
import { MaskFilter, type SectionMasker } from './privacy/mask-filter.js';
import type { RecordDpPlan } from './privacy/record-dp-plan.js';
import { applyUpdateFilters, type UpdateFilter } from './privacy/update-filter.js';
import { retryUntilAcknowledged } from './retry-until-acknowledged.js';
import { decodeExactSection, exactSection, findSection } from './round-sections.js';
import type { SiteAudit } from './site-audit.js';
import type { SiteDataset } from './site-dataset.js';
import type { FederationView, SiteKeys } from './site-keys.js';
import { createStrategy, modelHash, type ServerStrategy, type StrategyState } from './strategy/index.js';
import { fromVector, initialWeights, metricsFromSums, type Trainer, toVector } from './training/index.js';
import { trainingConfigFor } from './training-config-for.js';
import { UpdateLedger } from './update-ledger.js';

export interface JobSessionDeps {
  readonly keys: SiteKeys;
  readonly federation: FederationView;
  readonly client: CoordinatorClient;
  readonly trainer: Trainer;
  readonly clock: Clock;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
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
  /** Privacy filters on the way out, in order (clip + Gaussian noise under DP). */
  private readonly filters: UpdateFilter[];
  /** Record-level DP (DP-SGD inside local training), or null. */
  private readonly dpSgd: RecordDpPlan | null;
  /** Pairwise masks under the encryption (job spec `he.masks: pairwise`), or null. */
  private readonly masks: MaskFilter | null;
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
  /** A GLM job: rounds 1..R+1 are IRLS iterations instead of training (client-node/glm). */
  private readonly glm: GlmJob | undefined;

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
    },
  ) {
    this.jobId = init.jobId;
    this.job = init.job;
    this.researcherKey = init.researcherKey;
    this.dataset = init.dataset;
    this.strategy = createStrategy(init.job.spec.strategy);
    this.filters = init.dp ? [new DpUpdateFilter(init.dp)] : [];
    this.dpSgd = init.dpSgd ?? null;
    this.masks =
      init.job.spec.he.masks === 'pairwise'
        ? new MaskFilter(deps, { jobId: init.jobId, minSites: init.job.spec.minSites })
        : null;
    this.release = init.release ?? { allowed: true, privacy: null };
    const model = init.job.spec.model;
    this.glm = model.kind === 'glm' ? new GlmJob(model, totalRounds(init.job.spec) - 1) : undefined;
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

  async acceptKeyBundle(envelope: SignedEnvelope): Promise<void> {
    if (this.cipher) return;
    const { cipher, dealer } = await receiveKeys(this.deps.keys, this.deps.federation, envelope, {
      jobId: this.jobId,
      profileId: this.spec.he.profile,
      quantizer: this.quantizer,
    });
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
    const last = totalRounds(this.spec) - 1;
    const sections: Section[] = [];
    if (round === 0) {
      const stats = computeLocalStats(this.dataset.train, this.schema, { salt: featureSalt(this.spec) });
      sections.push(exactSection(cipher, 'stats', stats, mask));
      // Declared features: totals of codes and of values outside the schema, for the researcher.
      const findings = this.dataset.findings ?? [];
      if (findings.length > 0)
        sections.push(exactSection(cipher, 'datareport', dataReportVector(findings), mask));
    } else if (this.glm) {
      sections.push(this.glm.section(cipher, mask));
    } else {
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
      if (round < last) {
        const result = await this.deps.trainer.train({
          spec: this.spec.model,
          inputDim: train.cols,
          globalWeights: global,
          ...train,
          config: trainingConfigFor(this.spec, round),
          ...(this.dpSgd
            ? {
                dpSgd: {
                  clipNorm: this.dpSgd.clipNorm,
                  noiseMultiplier: this.dpSgd.noiseMultiplier,
                  samplingRate: this.dpSgd.samplingRate,
                  steps: this.dpSgd.stepsPerRound,
                },
              }
            : {}),
        });
        this.lastLocalLoss = result.meanLoss;
        const delta = new Float32Array(global.length);
        for (let i = 0; i < delta.length; i++) delta[i] = result.weights[i]! - global[i]!;
        // Filters run before weighting and encryption. Under DP every site weighs the same
        // (noise added before weighting must not shrink with a small site's weight, and
        // sample counts would leak), so the weight is the cap: w = 1.
        const { update, records } = applyUpdateFilters(this.filters, delta);
        if (records.length > 0)
          this.deps.log('update.filtered', { job: this.jobId, round, filters: records.map((r) => r.filter) });
        const weightSamples = this.spec.dp !== undefined ? this.spec.weightCap : result.samples;
        const values = encodeWeightedUpdate(
          update,
          weightSamples,
          this.spec.weightCap,
          this.spec.he.clipRange,
        );
        const { batch, clipped } = cipher.encrypt(values, mask?.('update', values.length));
        if (clipped > 0) this.deps.log('update.clipped', { job: this.jobId, round, values: clipped });
        sections.push({ name: 'update', batch });
      }
      // Evaluation sums, plus this site's own accuracy in one more slot: its sum over the
      // sites gives the unweighted mean of per-site accuracies without revealing any one.
      const ownAccuracy = sums.count > 0 ? sums.correct / sums.count : 0;
      sections.push(exactSection(cipher, 'metrics', [...toVector(sums), ownAccuracy], mask));
    }
    await this.upload(round, sections);
  }

  /**
   * Verifies the coordinator's signed summary, checks this site's update is in the
   * round's Merkle root, decrypts the aggregate, applies it, and reports the new
   * model's hash (and the sealed metrics). A failed check stops this job loudly.
   */
  async onRoundClosed(summaryEnvelope: SignedEnvelope): Promise<void> {
    const { coordinatorSigningKey } = this.deps.federation;
    const { message: summary } = openMessage(
      SigningContext.roundSummary,
      RoundSummary,
      summaryEnvelope,
      (pk) => bytesEqual(pk, coordinatorSigningKey),
    );
    if (summary.jobId !== this.jobId) throw new HeflError('integrity', 'round summary names another job');
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
    await this.ledger.recoverReceipt(summary.round, summary.attempt).catch((error: unknown) => {
      this.deps.log('receipt.recovery-failed', {
        job: this.jobId,
        round: summary.round,
        error: (error as Error).message.slice(0, 200),
      });
    });
    const observer = this.ledger.observes(summary);
    try {
      if (observer) this.deps.log('round.observed', { job: this.jobId, round: summary.round });
      else this.ledger.checkInclusion(summary);
    } catch (error) {
      this.deps.audit.record('site.proof-failed', {
        jobId: this.jobId,
        round: summary.round,
        reason: (error as Error).message,
      });
      throw error;
    }
    if (!observer) {
      this.deps.audit.record('site.proof-verified', {
        jobId: this.jobId,
        round: summary.round,
        merkleRoot: Buffer.from(summary.merkleRoot).toString('hex'),
      });
    }
    this.deps.audit.recordHead(summary.auditHeadJson, coordinatorSigningKey);
    const { data } = await this.deps.client.downloadAggregate(
      this.jobId,
      summary.round,
      this.deps.keys.siteId,
    );
    if (!bytesEqual(sha256(data), summary.aggregateDigest))
      throw new HeflError('integrity', `round ${summary.round} aggregate does not match its signed digest`);
    const sections: Section[] = [];
    let offset = 0;
    for (const layout of summary.sections.map(layoutFromProto)) {
      sections.push(unframeSection(layout, data.subarray(offset, offset + layout.byteLength)));
      offset += layout.byteLength;
    }
    const contributors = summary.participants.length;
    const cipher = this.requireCipher();
    const problems = checkAggregate(
      cipher,
      sections,
      contributors,
      summary.round === 0 ? this.schema : undefined,
    );
    if (problems.length > 0) {
      await this.reportInvalid(summary, problems.join('; '), observer);
      return;
    }
    let sealed: { nonce: Uint8Array; sealed: Uint8Array } | undefined;
    if (summary.round === 0) {
      const stats = decodeExactSection(cipher, findSection(sections, 'stats'), contributors);
      const pipeline = FeaturePipeline.fromGlobalStats(this.schema, stats, { salt: featureSalt(this.spec) });
      this.pipeline = pipeline;
      this.train = pipeline.transform(this.dataset.train);
      this.test = pipeline.transform(this.dataset.test);
      if (this.glm) {
        this.glm.prepare(pipeline, [this.dataset.train, this.dataset.test]);
        this.global = this.glm.coefficients();
      } else this.global = initialWeights(this.spec.model, pipeline.cols, this.spec.seed);
      const dataReport = sections.find((s) => s.name === 'datareport');
      if (dataReport) {
        const sum = decodeExactSection(cipher, dataReport.batch, contributors);
        sealed = sealDataReport(dataReportFromSum(reportedFeatures(this.spec.data), sum), this.researcherKey);
      }
      this.deps.log('features.ready', {
        job: this.jobId,
        features: pipeline.cols,
        trainRows: this.train.rows,
        testRows: this.test.rows,
      });
    } else if (this.glm) {
      const report = this.glm.apply(cipher, sections, contributors, summary.round);
      this.global = this.glm.coefficients();
      sealed = sealGlmReport(report, this.researcherKey);
      this.deps.log('glm.iteration', {
        job: this.jobId,
        round: summary.round,
        converged: report.result !== null,
        failed: report.error !== null,
      });
    } else {
      const metricsVector = decodeExactSection(cipher, findSection(sections, 'metrics'), contributors);
      const metricsSums = fromVector(metricsVector.subarray(0, metricsVector.length - 1), EVALUATION_BINS);
      const metrics = metricsFromSums(metricsSums);
      const meanSiteAccuracy = metricsVector[metricsVector.length - 1]! / contributors;
      this.lastMetrics = {
        accuracy: meanSiteAccuracy,
        pooledAccuracy: metrics.accuracy,
        auc: metrics.auc,
        loss: metrics.loss,
        examples: metricsSums.count,
      };
      sealed = sealMetrics(
        {
          modelRound: summary.round - 1,
          accuracy: metrics.accuracy,
          meanSiteAccuracy,
          auc: metrics.auc,
          loss: metrics.loss,
          examples: metricsSums.count,
        },
        this.researcherKey,
      );
      if (sections.some((s) => s.name === 'update')) {
        const sum = cipher.decrypt(findSection(sections, 'update'), contributors);
        const { mean } = decodeWeightedMean(sum, this.spec.he.clipRange);
        const step = this.strategy.step(this.requireGlobal(), mean, this.strategyState);
        this.global = step.weights;
        this.strategyState = step.state;
      }
      this.deps.log('round.applied', {
        job: this.jobId,
        round: summary.round,
        contributors,
        localLoss: round4(this.lastLocalLoss),
      });
    }
    const report = signMessage(
      SigningContext.roundReport,
      RoundReport,
      {
        jobId: this.jobId,
        round: summary.round,
        siteId: this.deps.keys.siteId,
        modelHash: modelHash(this.requireGlobal()),
        sealedMetricsNonce: sealed ? Buffer.from(sealed.nonce) : Buffer.alloc(0),
        sealedMetrics: sealed ? Buffer.from(sealed.sealed) : Buffer.alloc(0),
        nonce: randomBytes(16),
        siteAuditHeadJson: Buffer.from(this.deps.audit.headJson()),
        attempt: summary.attempt,
      },
      this.deps.keys.signingSecretKey,
    );
    this.reports.set(summary.round, report);
    this.appliedThrough = summary.round;
    // The sites of the final round answer for the model; one that only observed it does not.
    const final = summary.round === totalRounds(this.spec) - 1;
    if (final && this.spec.release.toResearcher && !observer) this.pendingRelease = summary.participants;
    await this.sendUntilAcknowledged('report', () => this.deps.client.report(report));
    if (this.pendingRelease) await this.postRelease(this.pendingRelease);
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
    const { data } = await this.deps.client.downloadAggregate(
      this.jobId,
      round,
      this.deps.keys.siteId,
      probe,
    );
    if (!bytesEqual(sha256(data), summary.aggregateDigest))
      throw new HeflError('integrity', `round ${round} probe ${probe} does not match its signed digest`);
    const sections: Section[] = [];
    let offset = 0;
    for (const layout of summary.sections.map(layoutFromProto)) {
      sections.push(unframeSection(layout, data.subarray(offset, offset + layout.byteLength)));
      offset += layout.byteLength;
    }
    const problems = checkAggregate(
      this.requireCipher(),
      sections,
      members.length,
      round === 0 ? this.schema : undefined,
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
    return signMessage(
      SigningContext.roundReport,
      RoundReport,
      {
        jobId: this.jobId,
        round,
        siteId: this.deps.keys.siteId,
        modelHash: '',
        nonce: randomBytes(16),
        attempt,
        probe: fields.probe ?? 0,
        aggregateInvalid: fields.aggregateInvalid,
        invalidReason: fields.invalidReason.slice(0, 300),
      },
      this.deps.keys.signingSecretKey,
    );
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

function round4(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null;
}
