import { HeflError } from '../../common/errors/index.js';
import { type MaskContext, PairwiseMasks } from '../../common/fl/pairwise-mask.js';
import type { SiteAudit } from '../site-audit.js';
import type { FederationView, SiteKeys } from '../site-keys.js';

/** The mask of one section of this round's upload (values in [0, t)), or undefined = unmasked. */
export type SectionMasker = (section: string, length: number) => Float64Array | undefined;

/** Fewest members a mask set may have: this site plus two others, so no single peer can unmask it. */
export const MIN_MASK_MEMBERS = 3;

/**
 * The site's outgoing masking step (job spec `he.masks: pairwise`): runs on the quantised
 * values of every section (update, stats, metrics, datareport) just before encryption. The
 * members are the round's expected sites as the coordinator opened it; pair secrets come
 * from this site's X25519 key and each peer's key in this site's copy of the signed manifest.
 *
 * Refuses (audit entry `site.mask-refused`, then throws) a member set smaller than
 * max(minSites, 3) or without this site: a coordinator that opened the round to this site
 * with only itself and a colluder would otherwise learn the update from the colluder's
 * pair mask.
 */
export class MaskFilter {
  private readonly masks: PairwiseMasks;
  /** What each masked run covered, by `round/attempt`: its members and each section's length. */
  private readonly opened = new Map<string, { members: string[]; sections: Map<string, number> }>();

  constructor(
    private readonly deps: { keys: SiteKeys; federation: FederationView; audit: SiteAudit },
    private readonly job: { jobId: string; minSites: number },
  ) {
    this.masks = new PairwiseMasks(
      { siteId: deps.keys.siteId, sealingSecretKey: deps.keys.sealingSecretKey, jobId: job.jobId },
      (peer) => deps.federation.siteSealingKey(peer),
    );
  }

  /** The masker for one run of one round; `t` is the job's BGV plain modulus. */
  forRound(round: number, attempt: number, members: readonly string[], t: bigint): SectionMasker {
    const set = [...new Set(members)];
    const needed = Math.max(this.job.minSites, MIN_MASK_MEMBERS);
    const problem = !set.includes(this.deps.keys.siteId)
      ? 'the round does not list this site'
      : set.length < needed
        ? `the round lists ${set.length} sites, masks need at least ${needed}`
        : set.find((id) => id !== this.deps.keys.siteId && !this.deps.federation.siteSealingKey(id))
          ? 'the round lists a site without a key in the manifest'
          : undefined;
    if (problem) {
      this.deps.audit.record('site.mask-refused', { jobId: this.job.jobId, round, attempt, reason: problem });
      throw new HeflError('failed_precondition', `round ${round}: not masking: ${problem}`);
    }
    const sections = new Map<string, number>();
    this.opened.set(`${round}/${attempt}`, { members: set, sections });
    return (section, length) => {
      const context: MaskContext = { round, attempt, section };
      sections.set(section, length);
      return this.masks.vector(set, context, length, t);
    };
  }

  /** The members and section lengths this site masked a run with, if it masked one. */
  maskedRun(
    round: number,
    attempt: number,
  ): { members: readonly string[]; sections: ReadonlyMap<string, number> } | undefined {
    return this.opened.get(`${round}/${attempt}`);
  }

  /** Minus this site's masks with `dropped` for one section of a run (see PairwiseMasks.correction). */
  correction(
    round: number,
    attempt: number,
    section: string,
    dropped: readonly string[],
    length: number,
    t: bigint,
  ): Float64Array {
    return this.masks.correction(dropped, { round, attempt, section }, length, t);
  }
}
