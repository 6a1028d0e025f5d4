import { resolve } from 'node:path';
import { type DataInput, isPostgresUrl, type TableLocation } from '../client-node/index.js';
import { HeflError } from '../common/errors/index.js';

/**
 * `--data`, `--input` and `--mapping` as a site's table location: paths made absolute (a
 * `postgres://` URL kept as given), a mapping required for fhir and omop, `--columns` for
 * CSV only. Usage errors are `invalid_argument` (exit 2); the URL never appears in them.
 */
export function dataLocation(opts: {
  data: string;
  input: DataInput;
  mapping?: string;
  columns?: string;
}): TableLocation {
  const { input } = opts;
  if (input === 'csv') {
    if (opts.mapping) throw new HeflError('invalid_argument', '--mapping applies to --input fhir or omop');
    return { path: resolve(opts.data) };
  }
  if (!opts.mapping) throw new HeflError('invalid_argument', `--input ${input} needs --mapping FILE`);
  if (opts.columns) throw new HeflError('invalid_argument', '--columns applies to CSV input only');
  if (input === 'fhir' && isPostgresUrl(opts.data))
    throw new HeflError('invalid_argument', '--input fhir reads a Bulk Data export folder, not a database');
  const path = input === 'omop' && isPostgresUrl(opts.data) ? opts.data : resolve(opts.data);
  return { input, path, mapping: resolve(opts.mapping) };
}
