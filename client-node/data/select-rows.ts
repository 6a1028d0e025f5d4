import type { SiteTable } from './csv-table.js';

/** A table restricted to the given row indices (e.g. the training split), in that order. */
export function selectRows(table: SiteTable, indices: Uint32Array): SiteTable {
  const numeric: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(table.numeric))
    numeric[name] = Float64Array.from(indices, (i) => values[i]!);
  const categorical: Record<string, readonly string[]> = {};
  for (const [name, values] of Object.entries(table.categorical))
    categorical[name] = Array.from(indices, (i) => values[i]!);
  return {
    fileName: table.fileName,
    featureColumns: table.featureColumns,
    labelColumn: table.labelColumn,
    rows: indices.length,
    numeric,
    categorical,
    labels: Uint8Array.from(indices, (i) => table.labels[i]!),
    ...(table.labelValues ? { labelValues: Float64Array.from(indices, (i) => table.labelValues![i]!) } : {}),
    ...(table.lines ? { lines: Array.from(indices, (i) => table.lines![i]!) } : {}),
  };
}
