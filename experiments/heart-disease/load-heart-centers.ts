import { join } from 'node:path';
import type { ColumnSpec } from '../../client-node/index.js';
import { loadSiteDataset, type SiteDataset } from '../../client-node/index.js';
import type { ParsedJob } from '../../common/job/job-spec.js';
import { FLAMBY_HEART_CENTERS } from './prepare-flamby-csv.js';

/** One FLamby center's records, split exactly as a site node splits them for `job`. */
export interface HeartCenter {
  readonly center: string;
  readonly file: string;
  readonly dataset: SiteDataset;
  /** Feature columns sorted by name: the order a site's `JobSession` uses for statistics. */
  readonly schema: ColumnSpec[];
}

/**
 * Loads the four prepared center CSVs (written by `prepareFlambyCsvs`) through the site
 * node's own loader, so the train/test split (stratified, seeded by `job.spec.seed`) is the
 * very split every site uses in a federated run of the same job.
 */
export async function loadHeartCenters(
  csvDir: string,
  job: ParsedJob,
  splitColumn?: string,
): Promise<HeartCenter[]> {
  const centers: HeartCenter[] = [];
  for (const { center, output } of FLAMBY_HEART_CENTERS) {
    const file = join(csvDir, output);
    // With `splitColumn`: the site's fixed split (`hefl site start --split-column`).
    const dataset = await loadSiteDataset({ path: file, ...(splitColumn ? { splitColumn } : {}) }, job.spec);
    const schema = [...dataset.train.featureColumns].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    centers.push({ center, file, dataset, schema });
  }
  return centers;
}
