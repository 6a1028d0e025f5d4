import { HeflError } from '../../common/errors/index.js';
import {
  type SummaryShape,
  sortedKeys,
  summaryBlockLength,
  summaryStrata,
  summaryVectorLength,
} from '../../common/fl/summary-layout.js';
import type { SiteTable } from '../data/csv-table.js';

/**
 * This site's summary vector (plaintext; it is encrypted before it leaves): for every stratum
 * the count cells and numeric moments of `common/fl/summary-layout.ts`, in that order. Every
 * count with 0 < count < `minCellSize` is sent as 0 with its suppressed flag set, and a
 * stratum with fewer than `minCellSize` records sends its numeric moments as 0, flagged: the
 * small cell never leaves the site, not even encrypted. Throws naming a column the site's
 * table lacks or one whose kind does not fit (never a value).
 */
export function summaryVector(
  shape: SummaryShape,
  tables: readonly SiteTable[],
  minCellSize: number,
): Float64Array {
  const columns = new TableColumns(tables);
  const strata = summaryStrata(shape);
  const stratumOf = shape.strata === undefined ? undefined : columns.text(shape.strata, 'the strata column');
  const out = new Float64Array(summaryVectorLength(shape));
  let at = 0;
  const count = (c: number) => {
    const suppressed = c > 0 && c < minCellSize;
    out[at++] = suppressed ? 0 : c;
    out[at++] = suppressed ? 1 : 0;
  };
  strata.forEach((_, s) => {
    const start = at;
    const rows: number[] = [];
    for (let r = 0; r < columns.rows; r++) if (s === 0 || stratumOf![r] === strata[s]) rows.push(r);
    count(rows.length);
    count(rows.reduce((n, r) => n + (columns.labels[r]! > 0 ? 1 : 0), 0));
    const small = rows.length > 0 && rows.length < minCellSize;
    for (const name of shape.numeric) {
      const values = columns.numeric(name, 'a numeric summary');
      let sum = 0;
      let sumSq = 0;
      for (const r of rows) {
        sum += values[r]!;
        sumSq += values[r]! ** 2;
      }
      out.set(small ? [0, 0, 0, 1] : [rows.length, sum, sumSq, 0], at);
      at += 4;
    }
    for (const name of sortedKeys(shape.categories)) {
      const levels = shape.categories[name]!;
      const text = columns.text(name, 'a frequency table');
      const cells = new Array<number>(levels.length + 1).fill(0);
      for (const r of rows) cells[indexOrOther(levels, text[r]!)]!++;
      cells.forEach(count);
    }
    for (const name of sortedKeys(shape.histograms)) {
      const edges = shape.histograms[name]!;
      const values = columns.numeric(name, 'a histogram');
      const bins = new Array<number>(edges.length + 1).fill(0);
      for (const r of rows) bins[binOf(edges, values[r]!)]!++;
      bins.forEach(count);
    }
    for (const [a, b] of shape.crossTabs) {
      const la = shape.categories[a]!;
      const lb = shape.categories[b]!;
      const ta = columns.text(a, 'a cross-tabulation');
      const tb = columns.text(b, 'a cross-tabulation');
      const cells = new Array<number>((la.length + 1) * (lb.length + 1)).fill(0);
      for (const r of rows) cells[indexOrOther(la, ta[r]!) * (lb.length + 1) + indexOrOther(lb, tb[r]!)]!++;
      cells.forEach(count);
    }
    if (at - start !== summaryBlockLength(shape))
      throw new HeflError('integrity', 'summary block length disagrees with its layout');
  });
  return out;
}

/** The bin of a value: 0 below the first edge, k for [e_{k-1}, e_k), edges.length at or above the last. */
export function binOf(edges: readonly number[], value: number): number {
  let k = 0;
  while (k < edges.length && value >= edges[k]!) k++;
  return k;
}

function indexOrOther(levels: readonly string[], value: string): number {
  const i = levels.indexOf(value);
  return i < 0 ? levels.length : i;
}

/** The job's columns over the site's tables (train and held-out: an analysis of all records). */
class TableColumns {
  readonly rows: number;
  readonly labels: Uint8Array;

  constructor(private readonly tables: readonly SiteTable[]) {
    this.rows = tables.reduce((n, t) => n + t.rows, 0);
    this.labels = new Uint8Array(this.rows);
    let at = 0;
    for (const t of tables) {
      this.labels.set(t.labels, at);
      at += t.rows;
    }
  }

  numeric(name: string, use: string): Float64Array {
    if (this.tables.some((t) => !(name in t.numeric))) {
      const categorical = this.tables.some((t) => name in t.categorical);
      throw new HeflError(
        'invalid_argument',
        categorical
          ? `stats job: column '${name}' is categorical at this site; ${use} needs a numeric column`
          : `stats job: column '${name}' is not among this site's job columns`,
      );
    }
    const out = new Float64Array(this.rows);
    let at = 0;
    for (const t of this.tables) {
      const values = t.numeric[name]!;
      for (let r = 0; r < t.rows; r++) {
        if (!Number.isFinite(values[r]!))
          throw new HeflError('invalid_data', `stats job: column '${name}' has a missing value at this site`);
        out[at++] = values[r]!;
      }
    }
    return out;
  }

  /** Each row's value as text: a number as JavaScript prints it (1, 2.5), a category code as it is. */
  text(name: string, use: string): string[] {
    const out: string[] = [];
    for (const t of this.tables) {
      const numeric = t.numeric[name];
      const categorical = t.categorical[name];
      if (!numeric && !categorical)
        throw new HeflError(
          'invalid_argument',
          `stats job: column '${name}' (${use}) is not among this site's job columns`,
        );
      for (let r = 0; r < t.rows; r++) out.push(numeric ? String(numeric[r]) : categorical![r]!);
    }
    return out;
  }
}
