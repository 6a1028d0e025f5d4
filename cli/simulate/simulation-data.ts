import { readdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import {
  generateSyntheticHospitals,
  SYNTHETIC_CATEGORICAL,
  SYNTHETIC_LABEL,
} from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';

export interface SimulationSite {
  readonly id: string;
  /** The site's `--data`: a CSV file, or (for fhir/omop input) the site's folder. */
  readonly csv: string;
}

/**
 * Where each simulated site's records come from: one CSV per site from `--data DIR`
 * (the site count follows the files), or the built-in synthetic multi-hospital data.
 */
export function simulationSites(options: {
  dataDir?: string;
  /** 'csv' (default): one CSV per site; 'folders': one sub-folder per site (FHIR export, OMOP tables). */
  layout?: 'csv' | 'folders';
  sites: number;
  seed: number;
  root: string;
}): {
  sites: SimulationSite[];
  label: string | undefined;
  categorical: string[] | undefined;
  synthetic: boolean;
} {
  if (options.dataDir) {
    const folders = options.layout === 'folders';
    let files: string[];
    try {
      files = readdirSync(options.dataDir, { withFileTypes: true })
        .filter((f) => (folders ? f.isDirectory() : extname(f.name).toLowerCase() === '.csv'))
        .map((f) => f.name)
        .sort();
    } catch (cause) {
      throw new HeflError('invalid_argument', `cannot read --data folder ${options.dataDir}`, { cause });
    }
    if (files.length < 1)
      throw new HeflError(
        'invalid_argument',
        `--data ${options.dataDir} holds no ${folders ? 'sub-folders' : '.csv files'} (one per site)`,
      );
    const sites = files.map((file) => ({
      id: siteIdFrom(folders ? `${file}.x` : file),
      csv: join(options.dataDir!, file),
    }));
    const ids = new Set(sites.map((s) => s.id));
    if (ids.size !== sites.length)
      throw new HeflError('invalid_argument', `--data file names must give distinct site ids`);
    return { sites, label: undefined, categorical: undefined, synthetic: false };
  }
  const generated = generateSyntheticHospitals({ sites: options.sites, seed: options.seed });
  const sites = generated.map((g, i) => {
    const id = `hospital-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? Math.floor(i / 26) : ''}`;
    const csv = join(options.root, `${id}.csv`);
    writeFileSync(csv, g.csv, { mode: 0o600 });
    return { id, csv };
  });
  return { sites, label: SYNTHETIC_LABEL, categorical: [...SYNTHETIC_CATEGORICAL], synthetic: true };
}

function siteIdFrom(file: string): string {
  const id = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id))
    throw new HeflError('invalid_argument', `cannot make a site id from file name ${file}`);
  return id;
}
