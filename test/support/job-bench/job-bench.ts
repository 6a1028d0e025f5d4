import { randomBytes } from 'node:crypto';
import {
  generateBoxKeyPair,
  generateSigningKeyPair,
  keyId,
  type SigningKeyPair,
} from '../../../common/crypto/index.js';
import {
  decodeLimbs,
  encodeLimbs,
  LIMB_MAGNITUDE,
  STATS_ENCODING,
} from '../../../common/fl/limb-encoding.js';
import { METRICS_SECTION_VALUES } from '../../../common/fl/round-section-shapes.js';
import { CiphertextAdder } from '../../../common/he/ciphertext-adder.js';
import { getProfile, type SiteVectorCipher, type VectorAdder } from '../../../common/he/index.js';
import { SiteCipher } from '../../../common/he/site-cipher.js';
import { type ParsedJob, parseJobSpec, totalRounds } from '../../../common/job/job-spec.js';
import {
  frameSection,
  layoutFromProto,
  type Section,
  type SectionLayout,
  unframeSection,
} from '../../../common/protocol/section-framing.js';
import { signMessage } from '../../../common/protocol/signed-message.js';
import { SigningContext } from '../../../common/protocol/signing-context.js';
import { ManualClock } from '../../../common/time/manual-clock.js';
import { JobController } from '../../../coordinator/job/job-controller.js';
import { TaskHub } from '../../../coordinator/job/task-hub.js';
import type { CoordinatorKeys } from '../../../coordinator/members/coordinator-keys.js';
import type { Member, MemberDirectory } from '../../../coordinator/members/member-directory.js';
import { MemoryAuditSink } from '../../../coordinator/storage/audit-sink.js';
import { type JobStore, MemoryJobStore } from '../../../coordinator/storage/job-store.js';
import type { SignedEnvelope } from '../../../proto/gen/hefl/v1/envelope.js';
import {
  JobDecision,
  JobSubmission,
  KeyBundle,
  RoundReport,
  RoundSummary,
  UpdateHeader,
} from '../../../proto/gen/hefl/v1/messages.js';
import type { Task } from '../../../proto/gen/hefl/v1/services.js';
import { MemoryBlobStore } from './memory-blob-store.js';

export type TaskKind = NonNullable<Task['kind']>;
export type TaskOf<K extends TaskKind['$case']> = Extract<TaskKind, { $case: K }>['value'];

/** The job every bench runs unless told otherwise: logistic regression on one numeric column. */
export const BENCH_SPEC = {
  model: { kind: 'logreg' },
  data: { label: 'y', features: ['a'], categorical: [] },
  rounds: 1,
  minSites: 2,
  maxSites: 10,
  recruitSeconds: 10,
  roundDeadlineSeconds: 60,
} as const;

/** A member directory a test can change (admit, revoke) while the job runs. */
export class MutableMemberDirectory implements MemberDirectory {
  readonly requiresPeerCertificate = false;
  private readonly members = new Map<string, Member>();
  private readonly listeners: (() => void)[] = [];

  add(member: Member): void {
    this.members.set(member.id, member);
    for (const l of this.listeners) l();
  }

  revoke(id: string): void {
    const member = this.members.get(id);
    if (!member) throw new Error(`no member ${id}`);
    this.members.set(id, { ...member, revoked: true });
    for (const l of this.listeners) l();
  }

  bySigningKey(publicKey: Uint8Array): Member | undefined {
    return [...this.members.values()].find(
      (m) => !m.revoked && keyId(m.signingPublicKey) === keyId(publicKey),
    );
  }

  byId(id: string): Member | undefined {
    const member = this.members.get(id);
    return member && !member.revoked ? member : undefined;
  }

  byTlsFingerprint(): Member | undefined {
    return undefined;
  }

  /** Admitted (not revoked) member ids, sorted. */
  ids(): string[] {
    return [...this.members.values()]
      .filter((m) => !m.revoked)
      .map((m) => m.id)
      .sort();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}

/** Real HE parts shared by a test file: the coordinator's adder and the sites' job cipher. */
export interface BenchHe {
  readonly adder: VectorAdder;
  readonly cipher: SiteVectorCipher;
  delete(): void;
}

/** The default profile's adder (public parameters only) and one site cipher holding the job key. */
export async function createBenchHe(): Promise<BenchHe> {
  const profile = getProfile(BENCH_SPEC_PROFILE);
  const adder = await CiphertextAdder.create(profile);
  const cipher = await SiteCipher.generate(profile, { clipRange: 1, maxSites: 10 });
  return {
    adder,
    cipher,
    delete: () => {
      adder.delete();
      cipher.delete();
    },
  };
}

const BENCH_SPEC_PROFILE = 'bgv-n2048-q54-t38/v1';

export interface BenchOptions {
  /** Admitted sites (default site-a, site-b, site-c). */
  readonly sites?: readonly string[];
  /** Sites with an open task stream when the job starts (default: all). */
  readonly connected?: readonly string[];
  /** Job-spec fields over BENCH_SPEC. */
  readonly spec?: Record<string, unknown>;
  readonly store?: JobStore;
  readonly blobs?: MemoryBlobStore;
  readonly clock?: ManualClock;
  readonly jobId?: string;
}

/**
 * One JobController wired to in-memory parts a test can drive and inspect: a ManualClock,
 * a recording task hub, the memory audit sink and blob store, a changeable member
 * directory and the REAL node-seal adder. Sites are played by signing their messages
 * with their own keys; updates are real ciphertexts under one job key.
 */
export class JobBench {
  /** Replaced by a restart test: the old process's timers die with its clock. */
  clock: ManualClock;
  readonly audit = new MemoryAuditSink();
  readonly blobs: MemoryBlobStore;
  readonly hub = new TaskHub();
  readonly store: JobStore;
  readonly members = new MutableMemberDirectory();
  readonly keys: CoordinatorKeys;
  readonly job: ParsedJob;
  readonly jobId: string;
  readonly submission: SignedEnvelope;
  readonly researcherSealingKey = generateBoxKeyPair().publicKey;
  /** Every task sent to each site, in order. */
  readonly sent = new Map<string, TaskKind[]>();
  readonly logged: { event: string; fields: Record<string, unknown> }[] = [];
  private readonly siteKeys = new Map<string, SigningKeyPair>();
  private readonly detach = new Map<string, () => void>();
  controller!: JobController;

  constructor(
    readonly he: BenchHe,
    options: BenchOptions = {},
  ) {
    this.clock = options.clock ?? new ManualClock();
    this.blobs = options.blobs ?? new MemoryBlobStore();
    this.store = options.store ?? new MemoryJobStore();
    this.jobId = options.jobId ?? 'job-bench';
    const signing = generateSigningKeyPair();
    this.keys = { signingPublicKey: signing.publicKey, signingSecretKey: signing.secretKey };
    this.job = parseJobSpec({ ...BENCH_SPEC, ...options.spec });
    for (const site of options.sites ?? ['site-a', 'site-b', 'site-c']) this.admit(site);
    this.submission = signMessage(
      SigningContext.jobSubmission,
      JobSubmission,
      {
        specJson: Buffer.from(this.job.canonical),
        nonce: randomBytes(16),
        sentAtMs: this.clock.now(),
        researcherSealingKey: Buffer.from(this.researcherSealingKey),
      },
      generateSigningKeyPair().secretKey,
    );
    for (const site of options.connected ?? options.sites ?? ['site-a', 'site-b', 'site-c'])
      this.attach(site);
  }

  /** The deps a JobController of this bench is built from (restore tests build their own). */
  deps() {
    return {
      clock: this.clock,
      blobs: this.blobs,
      audit: this.audit,
      hub: this.hub,
      members: this.members,
      keys: this.keys,
      adder: this.he.adder,
      store: this.store,
      log: (event: string, fields: Record<string, unknown>) => this.logged.push({ event, fields }),
    };
  }

  /** Builds the job (as JobRegistry.submit does, without the submission entry) and starts it. */
  start(): JobController {
    this.controller = new JobController(this.deps(), {
      id: this.jobId,
      job: this.job,
      submittedBy: 'researcher',
      researcherSealingKey: this.researcherSealingKey,
      submission: this.submission,
    });
    this.controller.persistJob();
    this.controller.start();
    return this.controller;
  }

  /** Admits a site to the federation (its signing and sealing keys are fresh). */
  admit(siteId: string): void {
    const signing = generateSigningKeyPair();
    this.siteKeys.set(siteId, signing);
    this.members.add({
      id: siteId,
      role: 'site',
      signingPublicKey: signing.publicKey,
      sealingPublicKey: generateBoxKeyPair().publicKey,
      revoked: false,
    });
  }

  /** Opens a site's task stream (recording what is sent) without telling the job. */
  attach(siteId: string): void {
    if (!this.sent.has(siteId)) this.sent.set(siteId, []);
    this.detach.set(
      siteId,
      this.hub.attach(siteId, (task) => {
        if (task.kind) this.sent.get(siteId)!.push(task.kind);
      }),
    );
  }

  /** A site (re)connects: its stream opens and the job hears of it, with the jobs it says it runs. */
  connect(siteId: string, runsJob: boolean): void {
    this.attach(siteId);
    this.controller.onSiteConnected(siteId, new Set(runsJob ? [this.jobId] : []));
  }

  disconnect(siteId: string): void {
    this.detach.get(siteId)?.();
    this.detach.delete(siteId);
  }

  /** The tasks of one kind sent to a site, in order. */
  tasks<K extends TaskKind['$case']>(siteId: string, kind: K): TaskOf<K>[] {
    return (this.sent.get(siteId) ?? []).filter((t) => t.$case === kind).map((t) => t.value as TaskOf<K>);
  }

  /** Forgets the tasks recorded so far (to assert on what comes next). */
  clearTasks(): void {
    for (const list of this.sent.values()) list.length = 0;
  }

  actions(): string[] {
    return this.audit.entries.map((e) => e.action);
  }

  entries(action: string): Record<string, unknown>[] {
    return this.audit.entries.filter((e) => e.action === action).map((e) => e.details);
  }

  private sign<T>(
    siteId: string,
    context: Parameters<typeof signMessage>[0],
    codec: Parameters<typeof signMessage<T>>[1],
    message: Partial<T>,
  ): SignedEnvelope {
    const key = this.siteKeys.get(siteId);
    if (!key) throw new Error(`no keys for ${siteId}`);
    return signMessage(context, codec, message, key.secretKey);
  }

  decisionOf(
    siteId: string,
    accept = true,
    reason = '',
  ): { decision: JobDecision; envelope: SignedEnvelope } {
    const decision = JobDecision.fromPartial({
      jobId: this.jobId,
      jobHash: this.job.hash,
      siteId,
      accept,
      reason,
      nonce: randomBytes(16),
    });
    return { decision, envelope: this.sign(siteId, SigningContext.jobDecision, JobDecision, decision) };
  }

  /** A site's signed answer to the offer, handed to the job. */
  decide(siteId: string, accept = true, reason = ''): void {
    const { decision, envelope } = this.decisionOf(siteId, accept, reason);
    this.controller.decide(siteId, decision, envelope);
  }

  /** A key bundle signed by `from`, sealing (fake sealed bytes: the coordinator cannot open them) to `to`. */
  bundleOf(from: string, to: readonly string[]): { bundle: KeyBundle; envelope: SignedEnvelope } {
    const bundle = KeyBundle.fromPartial({
      jobId: this.jobId,
      dealerSiteId: from,
      profileId: this.job.spec.he.profile,
      dealerSealingPublicKey: Buffer.from(randomBytes(32)),
      sealed: to.map((siteId) => ({ siteId, nonce: randomBytes(24), ciphertext: randomBytes(48) })),
      nonce: randomBytes(16),
    });
    return { bundle, envelope: this.sign(from, SigningContext.keyBundle, KeyBundle, bundle) };
  }

  /** The dealer posts its bundle sealed to every accepted site: the job runs and round 0 opens. */
  postDealerBundle(): void {
    const dealer = this.controller.dealer!;
    const { bundle, envelope } = this.bundleOf(dealer, this.controller.accepted);
    this.controller.postKeyBundle(dealer, bundle, envelope);
  }

  /** Recruits `accepting` (each accepts; the others decline), then deals the key: round 0 is open. */
  recruit(accepting: readonly string[] = this.members.ids()): void {
    for (const site of this.controller.offeredTo)
      if (accepting.includes(site)) this.decide(site);
      else this.decide(site, false, 'not this one');
    if (this.controller.state === 'recruiting') this.clock.advance(this.job.spec.recruitSeconds * 1000);
    this.postDealerBundle();
  }

  /**
   * The sections a site sends in `round`, with real ciphertexts: round 0 the statistics,
   * training rounds the model update and metrics, the last round the metrics. `value` is
   * what every statistic and update slot carries, so sums are easy to check.
   */
  sectionsFor(round: number, value: number): Section[] {
    const { cipher } = this.he;
    const exact = (name: string, count: number, v: number): Section => ({
      name,
      batch: cipher.encryptIntegers(
        encodeLimbs(new Float64Array(count).fill(v), STATS_ENCODING),
        LIMB_MAGNITUDE,
      ),
    });
    if (round === 0) return [exact('stats', 3, value)];
    const metrics = exact('metrics', METRICS_SECTION_VALUES, 1);
    if (round === totalRounds(this.job.spec) - 1) return [metrics];
    return [{ name: 'update', batch: cipher.encrypt([value, value, 1]).batch }, metrics];
  }

  /** A site's signed update for the current round (or as `overrides` say), its bytes stored as a blob. */
  async updateOf(
    siteId: string,
    options: { value?: number; round?: number; attempt?: number; sections?: Section[] } = {},
  ): Promise<{
    header: UpdateHeader;
    envelope: SignedEnvelope;
    layout: SectionLayout[];
    blob: { digest: string; size: number };
  }> {
    const current = this.controller.currentRound;
    const round = options.round ?? current?.round ?? 0;
    const framed = (options.sections ?? this.sectionsFor(round, options.value ?? 0.25)).map(frameSection);
    const header = UpdateHeader.fromPartial({
      jobId: this.jobId,
      round,
      siteId,
      nonce: randomBytes(16),
      sections: framed.map((f) => f.layout),
      payloadDigest: Buffer.alloc(32),
      sentAtMs: this.clock.now(),
      attempt: options.attempt ?? current?.attempt ?? 0,
    });
    const envelope = this.sign(siteId, SigningContext.updateHeader, UpdateHeader, header);
    const blob = await this.blobs.put(Buffer.concat(framed.flatMap((f) => f.bytes)));
    return { header, envelope, layout: framed.map((f) => f.layout), blob };
  }

  /** A site uploads its update as the transport does: header check, then the stored bytes. */
  async upload(siteId: string, options: Parameters<JobBench['updateOf']>[1] = {}): Promise<SignedEnvelope> {
    const update = await this.updateOf(siteId, options);
    this.controller.checkUploadHeader(siteId, update.header);
    return this.controller.acceptUpload(
      siteId,
      update.header,
      update.envelope.payload,
      update.layout,
      update.blob,
    );
  }

  reportOf(
    siteId: string,
    round: number,
    fields: Partial<RoundReport> = {},
  ): { report: RoundReport; envelope: SignedEnvelope } {
    const report = RoundReport.fromPartial({
      jobId: this.jobId,
      round,
      siteId,
      modelHash: 'model-hash-1',
      nonce: randomBytes(16),
      attempt: this.controller.rounds[round]?.attempt ?? 0,
      ...fields,
    });
    return { report, envelope: this.sign(siteId, SigningContext.roundReport, RoundReport, report) };
  }

  /** A site reports the model it got by applying closed round `round`. */
  report(siteId: string, round: number, fields: Partial<RoundReport> = {}): void {
    const { report, envelope } = this.reportOf(siteId, round, fields);
    this.controller.report(siteId, report, envelope);
  }

  /** Every site in `sites` uploads; then waits for the round to close (it closes after the last receipt). */
  async uploadAll(sites: readonly string[], value?: number): Promise<void> {
    for (const site of sites) await this.upload(site, value === undefined ? {} : { value });
    await this.roundClosed();
  }

  /** Waits (event-loop turns, no timers) until the current round closed or the job ended. */
  roundClosed(): Promise<void> {
    return settle(() => this.controller.currentRound?.state === 'closed' || this.controller.isFinished());
  }

  /** The decrypted sum of one section of a closed round's aggregate (real decryption, site key). */
  async aggregateOf(round: number, section: string): Promise<Float64Array> {
    const record = this.controller.rounds[round]!;
    const summary = RoundSummary.decode(record.summary!.payload);
    const bytes = await this.blobs.read(record.aggregateDigest!);
    let offset = 0;
    for (const proto of summary.sections) {
      const layout = layoutFromProto(proto);
      const slice = bytes.subarray(offset, offset + layout.byteLength);
      offset += layout.byteLength;
      if (layout.name !== section) continue;
      const { batch } = unframeSection(layout, slice);
      const n = summary.participants.length;
      return section === 'update'
        ? this.he.cipher.decrypt(batch, n)
        : decodeLimbs(this.he.cipher.decryptIntegers(batch, n), STATS_ENCODING);
    }
    throw new Error(`round ${round}'s aggregate has no ${section} section`);
  }
}

/** Lets queued work run (a round closes after the last receipt is sent): `turns` event-loop turns, no timers. */
export async function drain(turns = 20): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Yields to the event loop until `done()` holds; fails after `maxTurns` turns. No timers involved. */
export async function settle(done: () => boolean, maxTurns = 500): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn++) {
    if (done()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!done()) throw new Error(`not settled after ${maxTurns} event-loop turns`);
}
