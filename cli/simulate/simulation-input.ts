import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DataInput, readMappingFile } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import { type SimulationSite, simulationSites } from './simulation-data.js';
import type { SimulationOptions } from './simulation-options.js';

/** What every simulated site reads: its data, the input kind, the mapping file, the label. */
export interface SimulationInput {
  readonly input: DataInput;
  /** The mapping file (absolute) for fhir/omop input. */
  readonly mapping: string | undefined;
  readonly sites: readonly SimulationSite[];
  readonly label: string;
  readonly categorical: string[] | undefined;
}

/**
 * Checks the input flags, lays out each site's data under `root/data` (the built-in
 * synthetic hospitals unless `--data`), and finds the label: `--label`, the synthetic data's,
 * or the mapping file's. Usage mistakes are `invalid_argument`.
 */
export async function simulationInput(options: SimulationOptions, root: string): Promise<SimulationInput> {
  const dataRoot = join(root, 'data');
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const input = options.input ?? 'csv';
  if (input !== 'csv' && (!options.dataDir || !options.mapping))
    throw new HeflError(
      'invalid_argument',
      `--input ${input} needs --data DIR (one folder per site) and --mapping FILE`,
    );
  if (input === 'csv' && options.mapping)
    throw new HeflError('invalid_argument', '--mapping applies to --input fhir or omop');
  const mapping = options.mapping ? resolve(options.mapping) : undefined;
  const data = simulationSites({
    ...(options.dataDir ? { dataDir: resolve(options.dataDir) } : {}),
    layout: input === 'csv' ? 'csv' : 'folders',
    sites: options.sites,
    seed: options.seed,
    root: dataRoot,
  });
  const label =
    options.label ?? data.label ?? (mapping ? (await readMappingFile(mapping)).label.name : undefined);
  if (!label)
    throw new HeflError('invalid_argument', '--label is required with --data (the label column of the CSVs)');
  return { input, mapping, sites: data.sites, label, categorical: data.categorical };
}
