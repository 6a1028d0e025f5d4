import { HeflError } from '../../common/errors/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import type { SiteAudit } from '../site-audit.js';
import type { OutgoingFilter, OutgoingFilterFacts } from './outgoing-filter.js';
import type { OutgoingFilterContext, OutgoingUpdate } from './outgoing-update.js';

/** One filter that ran, and its facts as recorded. */
export interface OutgoingFilterStep {
  readonly filter: string;
  readonly facts: OutgoingFilterFacts;
}

/**
 * Runs the site's outgoing filter chain in order, recording one `site.update-filtered`
 * entry in the site's audit log per filter (its position, name and facts), so an auditor
 * sees every step that touched the update. A filter that throws stops the chain: its entry
 * says it failed and why, and the error (code `internal` unless the filter threw a
 * HeflError, whose code is kept) names the filter; nothing is uploaded.
 */
export function runOutgoingFilters(
  filters: readonly OutgoingFilter[],
  update: OutgoingUpdate,
  context: OutgoingFilterContext,
  deps: { readonly audit: SiteAudit; readonly log: EventLog },
): { readonly update: OutgoingUpdate; readonly steps: readonly OutgoingFilterStep[] } {
  let current = update;
  const steps: OutgoingFilterStep[] = [];
  const base = { jobId: context.jobId, round: context.round, attempt: context.attempt };
  for (const [step, filter] of filters.entries()) {
    let result: ReturnType<OutgoingFilter['apply']>;
    try {
      result = filter.apply(current, context);
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
      deps.audit.record('site.update-filtered', { ...base, step, filter: filter.name, failed: reason });
      deps.log('update.filter-failed', {
        job: context.jobId,
        round: context.round,
        filter: filter.name,
        reason,
      });
      throw new HeflError(
        error instanceof HeflError ? error.code : 'internal',
        `round ${context.round}: outgoing filter "${filter.name}" failed: ${reason}`,
        { cause: error },
      );
    }
    deps.audit.record('site.update-filtered', { ...base, step, filter: filter.name, ...result.facts });
    steps.push({ filter: filter.name, facts: result.facts });
    current = result.update;
  }
  return { update: current, steps };
}
