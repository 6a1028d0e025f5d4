import { sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { parseRoundLengths, type RoundLengths, specRoundLengths } from '../../common/fl/round-lengths.js';
import type { ParsedJob } from '../../common/job/job-spec.js';
import type { EventLog } from '../../common/log/event-log.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { JobDecision, KeyBundle } from '../../proto/gen/hefl/v1/messages.js';
import type { MemberDirectory } from '../members/member-directory.js';
import type { AuditSink } from '../storage/audit-sink.js';
import type { JobStore, StoredJob, StoredJobGraph } from '../storage/job-store.js';
import { KeyGrants } from '../storage/key-grants.js';
import { fixRoundLayout, type StatedLengths } from './fix-round-layout.js';
import type { JobState } from './job-state.js';
import { jobOfferTask, keyCeremonyTask, keyGrantTask } from './job-tasks.js';
import type { JobView } from './job-view.js';
import type { TaskHub } from './task-hub.js';

export interface MembershipDeps {
  readonly hub: TaskHub;
  readonly store: JobStore;
  readonly audit: AuditSink;
  readonly members: MemberDirectory;
  /** The operator's log (JSON lines): joins and key grants, so a stuck newcomer is visible. */
  readonly log?: EventLog;
}

/** What membership reads of its job. */
export type MemberJob = Pick<JobView, 'id' | 'job' | 'submission'>;

/** What membership needs of the rest of the job; the job controller answers these. */
export interface MembershipHooks {
  /** Writes the job's own fields (membership among them); durable on return. */
  persistJob(): void;
  /** The number of the round open or last closed (0 before the first). */
  currentRound(): number;
  /** Sites that applied the latest closed round, or sent an update since. */
  keyUsers(): Iterable<string>;
  /** `siteId` can open the key now: send it the key and the rounds it needs to catch up. */
  catchUp(siteId: string): void;
}

/**
 * Who is in one job: the sites offered it, their signed decisions, the accepted sites and
 * the dealer, and who can open the job's HE key — the dealer's bundle, then copies a key
 * holder seals to sites that join the running job (or rejoin it after a restart).
 */
export class SiteMembership {
  readonly decisions = new Map<string, { accept: boolean; reason: string; lengths?: StatedLengths }>();
  /** The layout every upload must have, fixed when recruiting ends (see fixRoundLayout). */
  roundLengths: RoundLengths | undefined;
  readonly offeredTo = new Set<string>();
  /** Sites holding the offer until their operator approves it (`approval: explicit`); not a decision. */
  readonly awaitingApproval = new Set<string>();
  accepted: string[] = [];
  dealer: string | undefined;
  /** Who can open the job's HE key: the dealer's bundle, plus copies sealed later to joining sites. */
  private readonly keyGrants = new KeyGrants();
  /** The key holder asked to seal the key to each waiting site (asked again if it goes away). */
  private readonly grantAskedOf = new Map<string, string>();
  /** Connected sites known to run this job now (said so in their hello, or reported a round since). */
  private readonly runningAt = new Set<string>();
  /** Accepted sites whose hello no longer lists the job (they restarted before it ran). */
  private readonly lostAt = new Set<string>();

  constructor(
    private readonly deps: MembershipDeps,
    private readonly job: MemberJob,
    private readonly hooks: MembershipHooks,
  ) {}

  /** The dealer's signed key bundle, once posted. */
  get keyBundle(): SignedEnvelope | undefined {
    return this.keyGrants.dealerBundle;
  }

  /** Membership as stored before a restart. */
  restore(stored: StoredJob, graph: Pick<StoredJobGraph, 'decisions' | 'keyGrants'>): void {
    this.accepted = [...stored.accepted];
    for (const site of stored.offeredTo) this.offeredTo.add(site);
    this.dealer = stored.dealer;
    if (stored.keyBundle) this.keyGrants.setDealerBundle(stored.keyBundle);
    this.keyGrants.load(graph.keyGrants);
    for (const d of graph.decisions)
      this.decisions.set(d.siteId, { accept: d.accept, reason: d.reason, lengths: d.lengths });
    this.roundLengths = restoredLengths(stored, this.job.job.spec);
  }

  /** The bundle holding a copy of the key sealed to `siteId`, if there is one yet. */
  bundleFor(siteId: string): SignedEnvelope | undefined {
    return this.keyGrants.bundleFor(siteId);
  }

  offer(siteId: string): void {
    const fresh = !this.offeredTo.has(siteId);
    this.offeredTo.add(siteId);
    if (fresh) this.hooks.persistJob();
    this.deps.hub.send(siteId, jobOfferTask(this.job.id, this.job.submission, this.job.job.hash));
  }

  /**
   * Updates what is known of a (re)connecting site. `runsJob`: its hello lists this job (an
   * accepted site without it restarted and lost it). Returns the site's key bundle when it
   * is to be brought up to date with the running job's rounds.
   */
  siteConnected(siteId: string, runsJob: boolean, state: JobState): SignedEnvelope | undefined {
    if (state === 'recruiting' && !this.decisions.has(siteId)) this.offer(siteId);
    if (this.decisions.get(siteId)?.accept && !runsJob) this.lostAt.add(siteId);
    else this.lostAt.delete(siteId);
    if (state === 'running') {
      if (runsJob) this.runningAt.add(siteId);
      else this.runningAt.delete(siteId);
      this.askForPendingGrants();
      // A site that never answered (away while recruiting, or admitted since) may join the
      // running job; an accepted site that no longer runs it (it restarted) may rejoin.
      const lostIt = this.accepted.includes(siteId) && !runsJob;
      if (!this.decisions.has(siteId) || lostIt) {
        this.offer(siteId);
        return undefined;
      }
    }
    if (!this.accepted.includes(siteId)) return undefined;
    if (state === 'keying' && siteId === this.dealer && !this.keyBundle) this.sendKeyCeremony();
    if (state !== 'running') return undefined;
    return this.keyGrants.bundleFor(siteId); // none: waiting for a key holder, the catch-up follows the grant
  }

  /** A site reported a round: it runs the job now. */
  reported(siteId: string): void {
    this.runningAt.add(siteId);
  }

  checkJobHash(decision: JobDecision): void {
    if (decision.jobHash !== this.job.job.hash) {
      throw new HeflError('invalid_argument', 'decision names another job hash', {
        publicDetail: 'job hash mismatch',
      });
    }
  }

  /**
   * A site holds the offer until its operator approves or declines it. Not a decision:
   * recruiting keeps waiting for it until its deadline, and the researcher sees who it waits for.
   */
  awaitApproval(siteId: string): void {
    if (this.decisions.has(siteId)) return;
    if (!this.awaitingApproval.has(siteId)) {
      this.awaitingApproval.add(siteId);
      this.deps.log?.('job.awaiting-approval', { job: this.job.id, site: siteId });
    }
  }

  /** A site's answer to the offer while recruiting; true once every site offered the job has answered. */
  answer(siteId: string, decision: JobDecision): boolean {
    if (this.decisions.has(siteId)) return false;
    this.recordDecision(siteId, decision, decision.accept ? 'job.accepted' : 'job.declined', {
      reason: decision.reason,
    });
    return this.everyAdmittedAnswered();
  }

  /**
   * Whether recruiting has nothing left to wait for: some site answered, and every site
   * offered the job has answered or is no longer admitted (revoked since the offer).
   */
  everyAdmittedAnswered(): boolean {
    const admitted = (s: string) => this.deps.members.byId(s) !== undefined;
    const undecided = [...this.offeredTo].filter((s) => !this.decisions.has(s) && admitted(s));
    return this.decisions.size > 0 && undecided.length === 0;
  }

  /** Keeps a site's signed answer (in memory and durably) and audits it as `action`. */
  private recordDecision(
    siteId: string,
    decision: JobDecision,
    action: 'job.accepted' | 'job.declined' | 'job.joined' | 'job.rejoined',
    extra: Record<string, unknown> = {},
  ): void {
    // Audit first: the state never holds a decision the log lacks (a crash in between leaves
    // a logged decision the state lacks; the site re-sends it, see SiteNode).
    this.deps.audit.append({
      actor: siteId,
      action,
      details: { jobId: this.job.id, jobHash: this.job.job.hash, ...extra },
    });
    const lengths = statedLengths(decision);
    this.deps.store.saveDecision(this.job.id, siteId, decision.accept, decision.reason, lengths);
    this.decisions.set(siteId, { accept: decision.accept, reason: decision.reason, lengths });
    this.awaitingApproval.delete(siteId);
  }

  /** Ends recruiting: picks the accepted sites (at most maxSites) and the dealer, or says why too few accepted. */
  endRecruiting(): string | undefined {
    const { spec } = this.job.job;
    // A site revoked since it accepted is left out (it would be sealed the job's key).
    this.accepted = [...this.decisions]
      .filter(([s, d]) => d.accept && this.deps.members.byId(s) !== undefined)
      .map(([s]) => s)
      .sort();
    // Too few acceptances say so first (a layout of no one's statements would hide why).
    if (this.accepted.length < spec.minSites) return this.tooFewAccepted([]);
    // The layout is fixed before round 0: sites that stated other lengths are left out.
    const verdict = fixRoundLayout(
      spec,
      new Map(this.accepted.map((s) => [s, this.decisions.get(s)?.lengths ?? NOT_STATED])),
    );
    if ('failure' in verdict) return verdict.failure;
    for (const { siteId, reason } of verdict.excluded) this.exclude(siteId, reason);
    const excluded = new Set(verdict.excluded.map((e) => e.siteId));
    this.accepted = this.accepted.filter((s) => !excluded.has(s));
    this.roundLengths = verdict.lengths;
    if (this.accepted.length < spec.minSites) return this.tooFewAccepted(verdict.excluded);
    if (this.accepted.length > spec.maxSites) this.accepted = this.accepted.slice(0, spec.maxSites);
    this.dealer = this.accepted[0];
    return undefined;
  }

  /** Why recruiting failed: who declined (and why), who was excluded, who never answered. */
  private tooFewAccepted(excluded: readonly { siteId: string; reason: string }[]): string {
    const { spec } = this.job.job;
    const declined = [...this.decisions]
      .filter(([, d]) => !d.accept)
      .map(([site, d]) => `${site}: ${d.reason}`);
    const silent = [...this.offeredTo]
      .filter((site) => !this.decisions.has(site))
      .map((site) =>
        this.awaitingApproval.has(site)
          ? `${site}: no answer (its operator never approved the job: approval: explicit)`
          : `${site}: no answer`,
      );
    const left = excluded.map((e) => `${e.siteId}: excluded, ${e.reason}`);
    const why = [...declined, ...left, ...silent].join('; ');
    return `only ${this.accepted.length} site(s) accepted; the job needs minSites = ${spec.minSites}${why ? ` (${why})` : ''}`;
  }

  sendKeyCeremony(): void {
    const sites = this.accepted.map((siteId) => ({
      siteId,
      sealingPublicKey: Buffer.from(this.deps.members.byId(siteId)?.sealingPublicKey ?? new Uint8Array()),
    }));
    this.deps.hub.send(this.dealer!, keyCeremonyTask(this.job.id, sites));
  }

  /** The dealer's bundle, once checked to seal the job's key to exactly the accepted sites; returns them. */
  acceptDealerBundle(bundle: KeyBundle, envelope: SignedEnvelope): string[] {
    const sealedFor = bundle.sealed.map((s) => s.siteId).sort();
    if (
      bundle.jobId !== this.job.id ||
      bundle.profileId !== this.job.job.spec.he.profile ||
      sealedFor.join() !== this.accepted.join()
    ) {
      throw new HeflError('invalid_argument', 'key bundle does not match the job or its accepted sites', {
        publicDetail: 'key bundle does not cover exactly the accepted sites',
      });
    }
    this.keyGrants.setDealerBundle(envelope);
    return sealedFor;
  }

  /** A site that restarted while the job was being set up lost it: offer it again to rejoin. */
  offerAgainToLost(): void {
    for (const site of this.lostAt) if (this.accepted.includes(site)) this.offer(site);
  }

  /**
   * A site accepts the running job: it is added to the accepted sites (up to maxSites, the
   * bound the HE encoding was sized for), gets the key sealed to it — the dealer's copy if
   * there is one, else a key holder seals one — then every closed round to apply as an
   * observer, and takes part from the round after it catches up.
   */
  join(siteId: string, decision: JobDecision, envelope: SignedEnvelope): void {
    const { id, job } = this.job;
    const rejoining = this.accepted.includes(siteId);
    if (!decision.accept) {
      if (!rejoining && !this.decisions.has(siteId))
        this.recordDecision(siteId, decision, 'job.declined', { reason: decision.reason });
      return;
    }
    this.checkJoinerLengths(siteId, decision);
    if (!rejoining && this.accepted.length >= job.spec.maxSites) {
      throw new HeflError('failed_precondition', `job ${id} already has maxSites sites`, {
        publicDetail: `the job already has its maximum of ${job.spec.maxSites} sites (maxSites)`,
      });
    }
    // The signed acceptance is durable before the site counts as accepted.
    this.recordDecision(siteId, decision, rejoining ? 'job.rejoined' : 'job.joined', {
      round: this.hooks.currentRound(),
    });
    if (!rejoining) {
      this.accepted = [...this.accepted, siteId].sort();
      this.hooks.persistJob();
    }
    this.deps.log?.(rejoining ? 'job.rejoined' : 'job.joined', {
      job: id,
      site: siteId,
      round: this.hooks.currentRound(),
    });
    this.runningAt.delete(siteId);
    this.lostAt.delete(siteId);
    if (this.keyGrants.bundleFor(siteId)) {
      this.hooks.catchUp(siteId);
      return;
    }
    this.deps.store.saveKeyGrant(id, this.keyGrants.request(siteId, envelope));
    this.grantAskedOf.delete(siteId);
    this.askForPendingGrants();
  }

  /** Leaves an accepting site out of the job, audited with the reason (the job goes on without it). */
  private exclude(siteId: string, reason: string): void {
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'job.excluded',
      details: { jobId: this.job.id, site: siteId, reason },
    });
    this.deps.log?.('job.excluded', { job: this.job.id, site: siteId, reason });
  }

  /** A site joining the running job must state the layout fixed before round 0 (or none where the spec fixes it). */
  private checkJoinerLengths(siteId: string, decision: JobDecision): void {
    const fixed = this.roundLengths;
    if (!fixed) return;
    const stated = statedLengths(decision);
    const fromSpec = specRoundLengths(this.job.job.spec) !== undefined;
    const wrong = (f: keyof RoundLengths) => stated[f] !== fixed[f] && !(fromSpec && stated[f] === 0);
    if (!wrong('statsLength') && !wrong('parameterCount')) return;
    const reason = "stated round lengths other than the job's fixed layout";
    this.exclude(siteId, reason);
    throw new HeflError('failed_precondition', `${siteId} ${reason}`, {
      publicDetail: `this site ${reason}`,
    });
  }

  /** Sites known to hold the key now: they applied the latest closed round, or sent an update since. */
  private keyHolders(): string[] {
    const waiting = new Set(this.keyGrants.pending().map((g) => g.siteId));
    const holders = new Set(this.hooks.keyUsers());
    if (holders.size === 0 && this.dealer) holders.add(this.dealer);
    return [...holders].filter((s) => !waiting.has(s) && this.keyGrants.bundleFor(s)).sort();
  }

  /** Asks a connected key holder to seal the key to each waiting site (again if the one asked went away). */
  askForPendingGrants(): void {
    const pending = this.keyGrants.pending();
    if (pending.length === 0) return;
    const { hub } = this.deps;
    const holder = this.keyHolders().find((s) => hub.isConnected(s) && this.runningAt.has(s));
    if (!holder) {
      // asked again when a holder connects or reports
      this.deps.log?.('key.grant-waiting', { job: this.job.id, sites: pending.map((g) => g.siteId) });
      return;
    }
    for (const grant of pending) {
      const asked = this.grantAskedOf.get(grant.siteId);
      if (asked && hub.isConnected(asked) && this.runningAt.has(asked)) continue;
      this.grantAskedOf.set(grant.siteId, holder);
      hub.send(holder, keyGrantTask(this.job.id, grant.siteId, grant.decision));
      this.deps.log?.('key.grant-requested', { job: this.job.id, site: grant.siteId, holder });
    }
  }

  /** A key holder's bundle sealing the job's key to one waiting site. */
  acceptKeyGrant(siteId: string, bundle: KeyBundle, envelope: SignedEnvelope): void {
    const { id } = this.job;
    if (!this.accepted.includes(siteId) || !this.keyGrants.bundleFor(siteId)) {
      throw new HeflError('permission_denied', `${siteId} does not hold the key of ${id}`, {
        publicDetail: 'only a site holding the job key can seal it to another',
      });
    }
    const to = bundle.sealed.map((s) => s.siteId);
    if (
      bundle.jobId !== id ||
      bundle.profileId !== this.job.job.spec.he.profile ||
      to.length !== 1 ||
      to[0] === siteId
    ) {
      throw new HeflError('invalid_argument', 'a key grant must seal the job key to exactly one other site', {
        publicDetail: 'a key grant seals the job key to exactly one waiting site',
      });
    }
    const grant = this.keyGrants.grant(to[0]!, envelope, siteId);
    this.deps.audit.append({
      actor: siteId,
      action: 'key.granted',
      details: {
        jobId: id,
        by: siteId,
        to: grant.siteId,
        bundleDigest: toHex(sha256(envelope.payload)),
      },
    });
    this.deps.store.saveKeyGrant(id, grant);
    this.grantAskedOf.delete(grant.siteId);
    this.deps.log?.('key.granted', { job: id, site: grant.siteId, by: siteId });
    this.hooks.catchUp(grant.siteId);
  }
}

const NOT_STATED: StatedLengths = { statsLength: 0, parameterCount: 0 };

function statedLengths(decision: JobDecision): StatedLengths {
  return { statsLength: decision.statsLength ?? 0, parameterCount: decision.parameterCount ?? 0 };
}

/**
 * The fixed layout of a restored job, decoded with a check (a malformed one refuses the job).
 * A job stored before layouts were persisted falls back to the spec's lengths where the spec
 * fixes them; a running job without either cannot be served.
 */
function restoredLengths(stored: StoredJob, spec: ParsedJob['spec']): RoundLengths | undefined {
  if (stored.roundLayoutJson !== undefined) return parseRoundLengths(stored.roundLayoutJson);
  if (stored.state === 'recruiting') return undefined;
  const fromSpec = specRoundLengths(spec);
  if (!fromSpec && (stored.state === 'keying' || stored.state === 'running'))
    throw new HeflError('integrity', `job ${stored.id} has no stored round layout`);
  return fromSpec;
}
