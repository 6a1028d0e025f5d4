import { HeflError } from '../../common/errors/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import type { Section } from '../../common/protocol/section-framing.js';
import type { SiteAudit } from '../site-audit.js';
import type { OutgoingFilter } from './outgoing-filter.js';
import type { OutgoingFilterContext } from './outgoing-update.js';
import { runOutgoingFilters } from './run-outgoing-filters.js';

/**
 * The `update` section of a training round: the plaintext delta through the site's
 * outgoing filter chain (see `outgoingFilterChain`), which must end encrypted. Operator
 * log: `update.filtered` naming the privacy filters that ran before weighting, and
 * `update.clipped` with the count of values that hit the quantiser's clip range.
 */
export function updateSection(
  filters: readonly OutgoingFilter[],
  delta: Float32Array,
  context: OutgoingFilterContext,
  deps: { readonly audit: SiteAudit; readonly log: EventLog },
): Section {
  const { update, steps } = runOutgoingFilters(filters, { stage: 'delta', delta }, context, deps);
  if (update.stage !== 'encrypted')
    throw new HeflError(
      'internal',
      `the outgoing filter chain ended with a ${update.stage} update, not ciphertexts`,
    );
  const { jobId: job, round } = context;
  const weighting = steps.findIndex((s) => s.filter === 'weight');
  const privacy = steps.slice(0, Math.max(0, weighting)).map((s) => s.filter);
  if (privacy.length > 0) deps.log('update.filtered', { job, round, filters: privacy });
  const clipped = steps.reduce((a, s) => a + (typeof s.facts.clipped === 'number' ? s.facts.clipped : 0), 0);
  if (clipped > 0) deps.log('update.clipped', { job, round, values: clipped });
  return { name: 'update', batch: update.batch };
}
