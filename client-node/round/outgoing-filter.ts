import type { JsonValue } from '../../common/audit/audit-entry.js';
import type { OutgoingFilterContext, OutgoingUpdate } from './outgoing-update.js';

/**
 * What a filter did to one update, for the site's own audit log: sizes, counts, norms and
 * settings, never values of the update (the audit writer refuses keys such as `values`).
 */
export type OutgoingFilterFacts = Readonly<Record<string, JsonValue>>;

/**
 * One step on an update's way out of a site (NVFlare's task-result filters are the model):
 * the site runs its filters in order, each a small object with a name, and records one
 * audit entry per filter. A filter never modifies its input; it throws a HeflError for an
 * update it cannot process (then nothing is sent).
 */
export interface OutgoingFilter {
  readonly name: string;
  apply(
    update: OutgoingUpdate,
    context: OutgoingFilterContext,
  ): { readonly update: OutgoingUpdate; readonly facts: OutgoingFilterFacts };
}
