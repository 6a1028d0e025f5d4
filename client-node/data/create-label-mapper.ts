import { HeflError } from '../../common/errors/index.js';
import type { LabelRule } from './csv-table.js';
import { parseNumberCell } from './parse-number-cell.js';

/** Maps a trimmed, non-missing label cell to 0/1; `where` is "file:line: column 'x'" for errors. */
export type LabelMapper = (raw: string, where: string) => 0 | 1;

/**
 * Builds the label mapping from the loader options. A custom `positive` function wins over
 * `labelRule`; giving both is a configuration error. Errors never quote the cell.
 */
export function createLabelMapper(options: {
  labelRule?: LabelRule | undefined;
  positive?: ((raw: string) => boolean) | undefined;
}): LabelMapper {
  const { labelRule, positive } = options;
  if (positive !== undefined) {
    if (labelRule !== undefined) {
      throw new HeflError('invalid_config', "give either 'positive' or 'labelRule', not both");
    }
    return (raw) => (positive(raw) ? 1 : 0);
  }
  const rule = labelRule ?? 'nonzero-positive';
  if (rule !== 'nonzero-positive' && rule !== 'binary') {
    throw new HeflError('invalid_config', "labelRule must be 'nonzero-positive' or 'binary'");
  }
  return (raw, where) => {
    const value = parseNumberCell(raw);
    if (value === undefined) throw new HeflError('invalid_data', `${where}: label is not a number`);
    if (rule === 'nonzero-positive') return value > 0 ? 1 : 0;
    if (value !== 0 && value !== 1) throw new HeflError('invalid_data', `${where}: label is not 0 or 1`);
    return value;
  };
}
