import {
  checkSiteData,
  loadRawTable,
  type RawTable,
  type TableLocation,
  takeSplitColumn,
} from '../client-node/index.js';
import { HeflError } from '../common/errors/index.js';
import type { FixedSplitOptions } from './fixed-split-options.js';

/**
 * The data check `hefl site check` runs, at a site's start (`hefl site start`, and each site
 * of `hefl simulate`): the input (CSV, or FHIR/OMOP through its mapping) exists and parses,
 * holds the label column when `label` is given, and, with a fixed split, the split column
 * holds only train/test (or the test file parses too). A problem is `invalid_data` (exit 2)
 * naming file and column, instead of a node that starts and then declines every job.
 */
export async function siteDataPreflight(
  location: TableLocation,
  columns: string[] | undefined,
  label: string | undefined,
  split: FixedSplitOptions = {},
): Promise<void> {
  const tables = [await loadRawTable(location, columns)];
  if (split.testPath !== undefined)
    tables.push(await loadRawTable({ ...location, path: split.testPath }, columns));
  for (const raw of tables) checkOne(raw, label, split.splitColumn);
}

function checkOne(input: RawTable, label: string | undefined, splitColumn: string | undefined): void {
  if (input.rows.length === 0)
    throw new HeflError('invalid_data', `${input.source}: empty file: no data rows`);
  // A bad split value stops the start; the split column itself is never a feature.
  const raw = splitColumn === undefined ? input : takeSplitColumn(input, splitColumn).raw;
  if (label === undefined) return;
  const check = checkSiteData(raw, { label });
  if (check.problems.length > 0)
    throw new HeflError('invalid_data', `${check.problems.join('; ')} (see hefl site check)`);
}
