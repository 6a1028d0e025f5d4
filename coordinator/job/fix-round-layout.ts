import type { RoundLengths } from '../../common/fl/round-lengths.js';
import { specRoundLengths } from '../../common/fl/round-lengths.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import { MAX_SECTION_VALUES } from '../../common/protocol/section-framing.js';

/** The lengths a site stated in its signed acceptance (0 = not stated). */
export type StatedLengths = RoundLengths;

/** What fixing a job's layout decided: the lengths, and the accepting sites that stated others. */
export type LayoutVerdict =
  | {
      readonly lengths: RoundLengths;
      /** Sites to leave out of the job, each with a reason naming what it stated wrongly (no values). */
      readonly excluded: readonly { readonly siteId: string; readonly reason: string }[];
    }
  | { readonly failure: string };

const LABELS: Record<keyof RoundLengths, string> = {
  statsLength: 'round-0 statistics length',
  parameterCount: 'model parameter count',
};

/**
 * Fixes a job's round layout before round 0 opens. A length the spec determines (it lists
 * its features) is the spec's; a length the sites' data decides is the one a strict
 * majority of the accepting sites stated in their signed acceptance. An accepting site that
 * stated another length (or none where the spec leaves it open) is excluded, never the job
 * failed because of one site; without a strict majority (e.g. 1 vs 1) the job fails, with a
 * reason naming the sites on each side (never a value). `statements`: the accepting sites'.
 */
export function fixRoundLayout(spec: JobSpec, statements: ReadonlyMap<string, StatedLengths>): LayoutVerdict {
  const fromSpec = specRoundLengths(spec);
  const sites = [...statements.keys()].sort();
  const fixed: Partial<Record<keyof RoundLengths, number>> = {};
  for (const field of Object.keys(LABELS) as (keyof RoundLengths)[]) {
    if (fromSpec) {
      fixed[field] = fromSpec[field];
      continue;
    }
    const bySize = new Map<number, string[]>();
    for (const site of sites) {
      const value = statements.get(site)![field];
      bySize.set(value, [...(bySize.get(value) ?? []), site]);
    }
    // A length no section may carry (section-framing's bound) is no statement at all.
    const winner = [...bySize].find(
      ([value, who]) => value > 0 && value <= MAX_SECTION_VALUES && who.length * 2 > sites.length,
    );
    if (!winner) {
      const sides = [...bySize.entries()]
        .sort(([, a], [, b]) => b.length - a.length || (a[0]! < b[0]! ? -1 : 1))
        .map(([value, who]) => (value > 0 ? who.join(', ') : `${who.join(', ')} (none stated)`));
      return {
        failure: `the accepting sites disagree on the ${LABELS[field]} (${sides.join(' | ')}): no strict majority fixes the job's layout`,
      };
    }
    fixed[field] = winner[0];
  }
  const lengths: RoundLengths = { statsLength: fixed.statsLength!, parameterCount: fixed.parameterCount! };
  const source = fromSpec ? 'the job spec fixes' : 'the majority of accepting sites stated';
  const excluded = sites.flatMap((siteId) => {
    const stated = statements.get(siteId)!;
    const wrong = (Object.keys(LABELS) as (keyof RoundLengths)[]).filter(
      // Where the spec fixes a length, a site that stated none is not wrong (it uploads what the spec says).
      (field) => stated[field] !== lengths[field] && !(fromSpec && stated[field] === 0),
    );
    if (wrong.length === 0) return [];
    const what = wrong.map((f) =>
      stated[f] === 0 ? `no ${LABELS[f]}` : `a ${LABELS[f]} other than the one ${source}`,
    );
    return [{ siteId, reason: `stated ${what.join(' and ')}` }];
  });
  return { lengths, excluded };
}
