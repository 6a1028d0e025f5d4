/**
 * What a filter reports about its work on one update: its name and its settings, never
 * values of the update. Kept in the site's own log; see each filter for which fields
 * depend on the data and so must not be sent to peers.
 */
export interface FilterRecord {
  readonly filter: string;
}

/** A filtered update (a new array) and the filter's record. */
export interface FilteredUpdate<R extends FilterRecord = FilterRecord> {
  readonly update: Float32Array;
  readonly record: R;
}

/**
 * A privacy transform of the plaintext delta (local minus global weights), applied before
 * weighting, quantisation and encryption. On a site it runs as the first filter of the
 * outgoing chain (client-node/round/outgoing-filter-chain.ts), which records it in the
 * site's audit log. A filter never modifies its input; it throws HeflError for an update it
 * cannot process.
 */
export interface UpdateFilter<R extends FilterRecord = FilterRecord> {
  readonly name: string;
  apply(update: Float32Array): FilteredUpdate<R>;
}

/** Runs `filters` in order; records come back in the same order. */
export function applyUpdateFilters(
  filters: readonly UpdateFilter[],
  update: Float32Array,
): { readonly update: Float32Array; readonly records: readonly FilterRecord[] } {
  let current = update;
  const records: FilterRecord[] = [];
  for (const filter of filters) {
    const result = filter.apply(current);
    current = result.update;
    records.push(result.record);
  }
  return { update: current, records: Object.freeze(records) };
}
