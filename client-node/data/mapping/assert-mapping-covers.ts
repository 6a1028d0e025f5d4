import { HeflError } from '../../../common/errors/index.js';
import type { MappingCounts } from './patient-rows.js';

/**
 * Refuses data the mapping does not fully cover, before anything trains on it: a code with
 * no `map` entry, or a quantity in a unit that is neither the entry's `unit` nor in its
 * `convert`. Throws `invalid_data` naming every such entry, the number of records and where
 * the first one is; never a value.
 */
export function assertMappingCovers(counts: MappingCounts): void {
  const problems: string[] = [];
  for (const e of counts.entries) {
    if (e.unmappedCodes > 0)
      problems.push(
        `${e.entry}: ${e.unmappedCodes} record(s) with a code not in 'map' (first at ${e.firstUnmappedAt})`,
      );
    if (e.unknownUnits > 0)
      problems.push(
        `${e.entry}: ${e.unknownUnits} record(s) in a unit that is neither 'unit' nor in 'convert' (first at ${e.firstUnknownUnitAt})`,
      );
  }
  if (problems.length > 0)
    throw new HeflError('invalid_data', `the mapping does not cover the data:\n  ${problems.join('\n  ')}`);
}
