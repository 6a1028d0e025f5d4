import { checkSiteData, loadRawTable, type TableLocation } from '../client-node/index.js';
import { HeflError } from '../common/errors/index.js';

/**
 * The data check `hefl site check` runs, at a site's start (`hefl site start`, and each site
 * of `hefl simulate`): the input (CSV, or FHIR/OMOP through its mapping) exists and parses,
 * and holds the label column when `label` is given. A problem is `invalid_data` (exit 2)
 * naming file and column, instead of a node that starts and then declines every job.
 */
export async function siteDataPreflight(
  location: TableLocation,
  columns: string[] | undefined,
  label: string | undefined,
): Promise<void> {
  const raw = await loadRawTable(location, columns);
  if (raw.rows.length === 0) throw new HeflError('invalid_data', `${raw.source}: empty file: no data rows`);
  if (label === undefined) return;
  const check = checkSiteData(raw, { label });
  if (check.problems.length > 0)
    throw new HeflError('invalid_data', `${check.problems.join('; ')} (see hefl site check)`);
}
