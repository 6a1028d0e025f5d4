import { decodeLimbs, LIMB_MAGNITUDE, STATS_ENCODING } from '../common/fl/limb-encoding.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import type { JobSpec } from '../common/job/job-spec.js';
import type { Section } from '../common/protocol/section-framing.js';
import { implausibleDataReport } from './data/implausible-data-report.js';
import { type ColumnSpec, statsLayout } from './data/index.js';

/** Why a decrypted aggregate cannot be the sum of honest updates (counts and names, never values). */
export type AggregateProblem = string;

/**
 * Checks a round's aggregate before a site applies it, against what honest inputs
 * guarantee: each section's slots within `contributors x` the largest value one honest
 * input can carry (the quantiser's bound for `update`, one limb for `stats`/`metrics`),
 * padding slots exactly zero, and, for round 0, statistics that real data can produce
 * (non-negative integer counts, non-negative sums of squares, count x sumSq >= sum^2).
 * Returns the problems found, empty when the aggregate is plausible.
 *
 * What it cannot catch: a participant holding the job key can encrypt any in-bound
 * values (a poisoned but well-formed update); that is model poisoning, not garbage.
 */
export function checkAggregate(
  cipher: SiteVectorCipher,
  sections: readonly Section[],
  contributors: number,
  round0Schema?: readonly ColumnSpec[],
  /** Round 0: the job's data section, to check the data report's sums (implausibleDataReport). */
  round0Data?: JobSpec['data'],
): AggregateProblem[] {
  const problems: AggregateProblem[] = [];
  for (const { name, batch } of sections) {
    const bound = name === 'update' ? 'quantized' : LIMB_MAGNITUDE;
    const { outOfBound, nonZeroPadding } = cipher.checkSum(batch, contributors, bound);
    if (outOfBound > 0)
      problems.push(
        `section ${name}: ${outOfBound} value(s) beyond what ${contributors} honest inputs can sum to`,
      );
    if (nonZeroPadding > 0) problems.push(`section ${name}: ${nonZeroPadding} padding slot(s) not zero`);
  }
  const stats = sections.find((s) => s.name === 'stats');
  if (problems.length === 0 && stats && round0Schema) {
    const values = decodeLimbs(cipher.decryptIntegers(stats.batch, contributors), STATS_ENCODING);
    problems.push(...implausibleStatistics(values, round0Schema));
  }
  const report = sections.find((s) => s.name === 'datareport');
  if (problems.length === 0 && report && round0Data) {
    const values = decodeLimbs(cipher.decryptIntegers(report.batch, contributors), STATS_ENCODING);
    problems.push(...implausibleDataReport(values, round0Data, contributors));
  }
  return problems;
}

/** Round-0 feature statistics no set of real tables can sum to (column names only). */
export function implausibleStatistics(
  values: Float64Array,
  schema: readonly ColumnSpec[],
): AggregateProblem[] {
  const layout = statsLayout(schema);
  if (values.length !== layout.length)
    return [`statistics have ${values.length} entries, the schema needs ${layout.length}`];
  const problems: AggregateProblem[] = [];
  const isCount = (v: number) => Number.isInteger(v) && v >= 0;
  for (const { name, offset } of layout.numeric) {
    const count = values[offset]!;
    const sum = values[offset + 1]!;
    const squares = values[offset + 2]!;
    if (!isCount(count)) problems.push(`column '${name}': count is not a non-negative integer`);
    else if (squares < 0) problems.push(`column '${name}': sum of squares is negative`);
    // Cauchy-Schwarz: n * sum(x^2) >= (sum x)^2, up to the 2^-16 fixed-point resolution.
    else if (count * squares < sum * sum - 1e-6 * (sum * sum + count + 1))
      problems.push(`column '${name}': sum of squares too small for the sum`);
  }
  for (const { name, offset, vocabulary } of layout.categorical) {
    // A declared vocabulary takes one slot per code plus one for codes outside it.
    const slots = vocabulary ? vocabulary.length + 1 : layout.buckets;
    for (let b = 0; b < slots; b++) {
      if (!isCount(values[offset + b]!)) {
        problems.push(`column '${name}': a category count is not a non-negative integer`);
        break;
      }
    }
  }
  return problems;
}
