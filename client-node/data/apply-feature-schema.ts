import {
  type CodeNormalisation,
  DEFAULT_CODE_NORMALISATION,
  type FeatureDeclaration,
} from '../../common/job/feature-schema.js';
import type { ColumnSpec, SiteTable } from './csv-table.js';
import { normaliseCode } from './normalise-code.js';
import { selectRows } from './select-rows.js';
import { unitMismatch } from './unit-mismatch.js';

/** What the declared schema found in one feature column (local only: counts, no values). */
export interface FeatureFinding {
  readonly name: string;
  readonly type: FeatureDeclaration['type'];
  /** Rows checked (after the missing-value rule). */
  readonly rows: number;
  /** Numeric values outside the declared plausible range. */
  readonly outOfRange: number;
  /** Category cells outside the declared vocabulary. */
  readonly outOfVocabulary: number;
  /** The usual conversion that would bring the column into range, when it looks like another unit. */
  readonly unitMismatch?: string;
  /** Cells per declared code, in declared order (binary: [no, yes]); empty for numeric features. */
  readonly codeCounts: readonly number[];
}

/** Why the site's data cannot serve the job: `message` for the operator, `publicReason` for the researcher. */
export interface SchemaProblem {
  readonly feature: string;
  /** Names source and column, may give counts; never a value. */
  readonly message: string;
  /** Names the feature and what is wrong; no counts, no values. */
  readonly publicReason: string;
}

export interface SchemaApplication {
  readonly table: SiteTable;
  readonly findings: readonly FeatureFinding[];
  readonly problems: readonly SchemaProblem[];
  /** Rows removed by `drop-row` rules of the schema. */
  readonly rowsDropped: number;
}

/**
 * Applies a job's declared features to a site table that already went through the
 * missing-value rule: counts values outside each declared range or vocabulary and applies
 * each feature's rule (refuse, drop-row, keep or `other`), turns binary columns into 0/1
 * numeric columns, and marks categorical columns with their normalised vocabulary so the
 * feature pipeline gives every declared code its own input. Never throws for data that does
 * not fit: that comes back as `problems`, which the caller turns into a decline or exit 2.
 */
export function applyFeatureSchema(
  table: SiteTable,
  declared: readonly FeatureDeclaration[],
  rule: CodeNormalisation = DEFAULT_CODE_NORMALISATION,
): SchemaApplication {
  const where = (name: string) => `${table.fileName}: column '${name}'`;
  const drop = new Uint8Array(table.rows);
  const findings: FeatureFinding[] = [];
  const problems: SchemaProblem[] = [];
  const numeric: Record<string, Float64Array> = { ...table.numeric };
  const categorical: Record<string, readonly string[]> = { ...table.categorical };
  const specs = new Map<string, ColumnSpec>(table.featureColumns.map((c) => [c.name, c]));

  for (const feature of declared) {
    let outOfRange = 0;
    let outOfVocabulary = 0;
    let mismatch: string | undefined;
    let codeCounts: number[] = [];
    if (feature.type === 'numeric') {
      const values = table.numeric[feature.name]!;
      if (feature.range) {
        const [lo, hi] = feature.range;
        values.forEach((v, r) => {
          if (v < lo || v > hi) {
            outOfRange++;
            if (feature.outOfRange === 'drop-row') drop[r] = 1;
          }
        });
        mismatch = unitMismatch(values, feature.range);
        const unit = feature.unit ? ` ${feature.unit}` : '';
        if (mismatch) {
          problems.push({
            feature: feature.name,
            message: `${where(feature.name)}: ${outOfRange} of ${values.length} values outside the plausible range ${lo}..${hi}${unit}; they fit it after ${mismatch}: is the column in another unit?`,
            publicReason: `feature '${feature.name}': values look like another unit than the job's${unit || ' unit'}`,
          });
        } else if (outOfRange > 0 && feature.outOfRange === 'refuse') {
          problems.push({
            feature: feature.name,
            message: `${where(feature.name)}: ${outOfRange} of ${values.length} values outside the plausible range ${lo}..${hi}${unit} (rule: refuse)`,
            publicReason: `feature '${feature.name}': values outside the declared plausible range`,
          });
        }
      }
    } else {
      const codes =
        feature.type === 'binary'
          ? feature.codes.map((c) => normaliseCode(c, rule))
          : feature.vocabulary.codes.map((c) => normaliseCode(c, rule));
      const known = new Map(codes.map((c, i) => [c, i]));
      codeCounts = codes.map(() => 0);
      const cells = table.categorical[feature.name]!;
      cells.forEach((cell, r) => {
        const slot = known.get(cell);
        if (slot !== undefined) codeCounts[slot]! += 1;
        else {
          outOfVocabulary++;
          if (feature.outOfVocabulary === 'drop-row') drop[r] = 1;
        }
      });
      if (outOfVocabulary > 0 && feature.outOfVocabulary === 'refuse') {
        problems.push({
          feature: feature.name,
          message: `${where(feature.name)}: ${outOfVocabulary} of ${cells.length} cells hold codes outside the declared ${feature.type === 'binary' ? 'codes' : 'vocabulary'} (rule: refuse)`,
          publicReason: `feature '${feature.name}': codes outside the declared vocabulary`,
        });
      }
      if (feature.type === 'binary') {
        numeric[feature.name] = Float64Array.from(cells, (cell) => (cell === codes[1] ? 1 : 0));
        delete categorical[feature.name];
        specs.set(feature.name, { name: feature.name, kind: 'numeric' });
      } else {
        specs.set(feature.name, {
          name: feature.name,
          kind: 'categorical',
          vocabulary: Object.freeze(codes),
          other: feature.outOfVocabulary === 'other',
        });
      }
    }
    findings.push({
      name: feature.name,
      type: feature.type,
      rows: table.rows,
      outOfRange,
      outOfVocabulary,
      codeCounts,
      ...(mismatch ? { unitMismatch: mismatch } : {}),
    });
  }

  const typed: SiteTable = {
    ...table,
    featureColumns: table.featureColumns.map((c) => specs.get(c.name)!),
    numeric,
    categorical,
  };
  const keep: number[] = [];
  for (let r = 0; r < table.rows; r++) if (drop[r] === 0) keep.push(r);
  const rowsDropped = table.rows - keep.length;
  return {
    table: rowsDropped === 0 ? typed : selectRows(typed, Uint32Array.from(keep)),
    findings,
    problems,
    rowsDropped,
  };
}
