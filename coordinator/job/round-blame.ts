import { fromHex, merkleRoot, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { type BlamePlan, blamePlan, blameVerdict } from '../../common/fl/blame-plan.js';
import { frameSection, type SectionLayout } from '../../common/protocol/section-framing.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { RoundSummary } from '../../proto/gen/hefl/v1/messages.js';
import { discardBlobs } from './blob-retention.js';
import type { AggregationDeps } from './round-aggregation.js';
import { sectionBatches } from './round-aggregation.js';
import type { RoundRecord } from './round-record.js';

/** One blame probe: the sum of some stored updates of the failed attempt, and the answers on it. */
interface Probe {
  readonly members: readonly string[];
  readonly summary: SignedEnvelope;
  readonly digest: string;
  /** Site -> whether it found the probe invalid. */
  readonly answers: Map<string, boolean>;
}

/** What the blame of one failed attempt concluded (audited as `round.blame`). */
export interface BlameOutcome {
  readonly culprit: string | undefined;
  /** One line for the job's reason and the audit log. */
  readonly verdict: string;
}

/**
 * Finds which stored update of a round attempt made its aggregate invalid, without
 * decrypting anything (the coordinator cannot): it sums the stored updates of each probe of
 * the round's {@link blamePlan}, signs a probe summary per sum, and asks the attempt's
 * contributors whether each probe is valid. Sites answer with signed validity bits only;
 * each site recomputes the plan itself and decrypts nothing else. The invalid probes spell
 * the culprit's codeword. Where no plan is safe, it names nobody and says why.
 */
export class RoundBlame {
  private readonly probes: Probe[] = [];
  private plan: BlamePlan | undefined;
  private done = false;

  constructor(
    private readonly deps: AggregationDeps,
    private readonly job: { readonly id: string; readonly minSites: number },
    private readonly round: RoundRecord,
    private readonly onVerdict: (outcome: BlameOutcome) => void,
  ) {}

  /** Builds and signs the probes; returns their summaries to send, or none when blame is refused. */
  async start(): Promise<SignedEnvelope[]> {
    const plan = blamePlan(this.round.contributors, this.job.minSites);
    if ('refused' in plan) {
      this.finish({ culprit: undefined, verdict: `blame not attempted: ${plan.refused}` }, []);
      return [];
    }
    this.plan = plan;
    for (const [k, members] of plan.probes.entries()) this.probes.push(await this.buildProbe(k + 1, members));
    return this.probes.map((p) => p.summary);
  }

  /** The signed summary and blob of probe `index` (1-based), for a site's download. */
  probe(index: number): { summary: SignedEnvelope; digest: string } {
    const probe = this.probes[index - 1];
    if (!probe || this.done)
      throw new HeflError('not_found', `no blame probe ${index} for round ${this.round.round}`, {
        publicDetail: `no blame probe ${index} is open`,
      });
    return probe;
  }

  /** A contributor's signed answer on probe `index`; the verdict follows once every contributor answered every probe. */
  answer(siteId: string, index: number, invalid: boolean): void {
    const probe = this.probes[index - 1];
    if (!probe || this.done || !this.round.contributors.includes(siteId)) {
      throw new HeflError(
        'failed_precondition',
        `${siteId} answered blame probe ${index}, which is not open to it`,
        {
          publicDetail: 'no such blame probe for this site',
        },
      );
    }
    if (!probe.answers.has(siteId)) probe.answers.set(siteId, invalid);
    // Every probe decided by a majority of all contributors: later answers cannot change it.
    const n = this.round.contributors.length;
    const decided = (p: Probe) => {
      const votes = [...p.answers.values()];
      return Math.max(votes.filter((v) => v).length, votes.filter((v) => !v).length) * 2 > n;
    };
    if (this.probes.every(decided)) this.conclude();
  }

  /** Reads the answers so far (the deadline came, or everyone answered). */
  conclude(): void {
    if (this.done || !this.plan) return;
    const invalid = this.probes.map((p) => {
      const votes = [...p.answers.values()];
      return votes.filter((v) => v).length * 2 > votes.length;
    });
    const verdict = blameVerdict(this.plan, invalid);
    const text =
      verdict.kind === 'culprit'
        ? `the update of ${verdict.siteId} made the aggregate invalid`
        : verdict.kind === 'several'
          ? 'more than one update is invalid (or answers conflict); nobody named'
          : 'every probe was valid: the invalid reports are not confirmed; nobody named';
    this.finish({ culprit: verdict.kind === 'culprit' ? verdict.siteId : undefined, verdict: text }, invalid);
  }

  /** Drops the probe blobs (the job ended or the verdict is in). */
  dispose(): void {
    discardBlobs(
      this.deps.blobs,
      this.probes.map((p) => p.digest),
      this.deps.log,
    );
  }

  private finish(outcome: BlameOutcome, invalid: boolean[]): void {
    this.done = true;
    this.deps.audit.append({
      actor: 'coordinator',
      action: 'round.blame',
      details: {
        jobId: this.job.id,
        round: this.round.round,
        attempt: this.round.attempt,
        contributors: this.round.contributors,
        probes: this.probes.map((p, k) => ({
          members: p.members,
          invalid: invalid[k] ?? null,
          invalidBy: [...p.answers].filter(([, v]) => v).map(([s]) => s),
          validBy: [...p.answers].filter(([, v]) => !v).map(([s]) => s),
        })),
        culprit: outcome.culprit ?? null,
        verdict: outcome.verdict,
      },
    });
    this.dispose();
    this.onVerdict(outcome);
  }

  private async buildProbe(index: number, members: readonly string[]): Promise<Probe> {
    const { adder, blobs, keys, clock } = this.deps;
    const layout = this.round.layout ?? [];
    const sums = layout.map((section) => adder.startSum(section.valueCount));
    const writer = await blobs.createWriter();
    try {
      for (const site of members) {
        const upload = this.round.uploads.get(site);
        if (!upload) throw new HeflError('not_found', `no stored update of ${site} for blame`);
        const bytes = await blobs.read(upload.blobDigest);
        let s = 0;
        for (const { batch } of sectionBatches(layout, bytes)) sums[s++]!.add(batch);
      }
      const sections: SectionLayout[] = [];
      for (const [s, section] of layout.entries()) {
        const framed = frameSection({ name: section.name, batch: sums[s]!.result() });
        for (const part of framed.bytes) await writer.write(part);
        sections.push(framed.layout);
      }
      const blob = await writer.finish();
      const digests = members.map((s) => fromHex(this.round.uploads.get(s)!.updateDigest));
      const summary = signMessage(
        SigningContext.roundSummary,
        RoundSummary,
        {
          jobId: this.job.id,
          round: this.round.round,
          participants: [...members],
          updateDigests: digests.map((d) => Buffer.from(d)),
          merkleRoot: Buffer.from(merkleRoot(digests)),
          sections,
          aggregateDigest: Buffer.from(fromHex(blob.digest)),
          closedAtMs: clock.now(),
          absent: [],
          auditHeadJson: Buffer.alloc(0),
          attempt: this.round.attempt,
          probe: index,
        },
        keys.signingSecretKey,
      );
      this.deps.log?.('round.blame-probe', {
        job: this.job.id,
        round: this.round.round,
        probe: index,
        digest: toHex(fromHex(blob.digest)).slice(0, 16),
      });
      return { members, summary, digest: blob.digest, answers: new Map() };
    } catch (error) {
      await writer.abort().catch(() => {});
      throw error;
    } finally {
      for (const sum of sums) sum.delete();
    }
  }
}
