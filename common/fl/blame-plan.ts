/**
 * Which sums of a failed round's stored updates may be decrypted to find the one invalid
 * upload, and how to read their validity. Coordinator and sites compute it the same way
 * from the signed list of contributors: a site decrypts a blame probe only if it is one
 * of these sets, so a coordinator cannot make sites decrypt any other subset.
 *
 * Each contributor (sorted by id) gets a distinct codeword of `length` bits and constant
 * weight `weight`; probe k sums the contributors whose codeword has bit k set. With one
 * invalid upload, exactly the probes containing it are invalid: the pattern of invalid
 * probes is its codeword. Two or more invalid uploads give a pattern of higher weight
 * (constant weight), so they are reported as such rather than pinned on an innocent one.
 *
 * Privacy rule (checked exactly, over the rationals): every site has already decrypted the
 * full invalid sum. Suppose an observer also knows its own update and the culprit's (the
 * culprit holds the key and knows what its garbage decrypts to). Then no linear
 * combination of the full sum and the probe sums may give any other single update, and
 * every probe and its complement hold at least `minGroup` contributors. Where no code
 * satisfies this (small rounds), there is no plan: blame is refused, not weakened.
 */
export interface BlamePlan {
  /** Contributors, sorted: the index each codeword belongs to. */
  readonly contributors: readonly string[];
  /** Probe k: the sorted ids whose stored updates are summed. */
  readonly probes: readonly (readonly string[])[];
  readonly codewords: readonly (readonly number[])[];
}

export type BlameVerdict =
  | { readonly kind: 'culprit'; readonly siteId: string }
  | { readonly kind: 'unconfirmed' }
  | { readonly kind: 'several' };

const MAX_LENGTH = 12;

/** The plan for a round summed from `contributors`, or why none is safe. */
export function blamePlan(
  contributors: readonly string[],
  minGroup: number,
): BlamePlan | { readonly refused: string } {
  const sites = [...contributors].sort();
  const n = sites.length;
  const group = Math.max(2, minGroup);
  for (let length = 3; length <= MAX_LENGTH; length++) {
    for (let weight = 1; weight < length; weight++) {
      for (const codes of constantWeightCodes(length, weight, n)) {
        const probes = Array.from({ length }, (_, k) => sites.filter((_, i) => codes[i]![k] === 1));
        if (probes.some((p) => p.length < group || n - p.length < group)) continue;
        if (
          revealsAnIndividual(
            n,
            probes.map((p) => p.map((s) => sites.indexOf(s))),
          )
        )
          continue;
        return { contributors: sites, probes, codewords: codes };
      }
    }
  }
  return {
    refused: `no blame plan over ${n} contributors keeps every individual update hidden (needs groups of at least ${group})`,
  };
}

/**
 * The site's gate: whether `members` is exactly probe `probe` (1-based) of the plan for
 * `contributors`. A site decrypts a blame probe only if this holds.
 */
export function isPlannedProbe(
  contributors: readonly string[],
  minGroup: number,
  probe: number,
  members: readonly string[],
): boolean {
  const plan = blamePlan(contributors, minGroup);
  if ('refused' in plan) return false;
  const planned = plan.probes[probe - 1];
  return planned !== undefined && planned.join('\u0000') === [...members].sort().join('\u0000');
}

/** Reads the probes' validity (true = invalid) into a verdict. */
export function blameVerdict(plan: BlamePlan, invalid: readonly boolean[]): BlameVerdict {
  if (invalid.every((v) => !v)) return { kind: 'unconfirmed' };
  const match = plan.codewords.findIndex((code) => code.every((bit, k) => (bit === 1) === invalid[k]));
  if (match >= 0) return { kind: 'culprit', siteId: plan.contributors[match]! };
  return { kind: 'several' };
}

/**
 * Candidate sets of `count` codewords of the given length and weight (deterministic, so
 * every site derives the same): the first ones in lexicographic order, then ones spread
 * evenly over all of them.
 */
function constantWeightCodes(length: number, weight: number, count: number): number[][][] {
  const all: number[][] = [];
  const walk = (prefix: number[], ones: number) => {
    if (prefix.length === length) {
      if (ones === weight) all.push(prefix);
      return;
    }
    if (ones < weight) walk([...prefix, 1], ones + 1);
    if (length - prefix.length - 1 >= weight - ones) walk([...prefix, 0], ones);
  };
  walk([], 0);
  if (all.length < count) return [];
  const spread = Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)]!);
  return [all.slice(0, count), spread];
}

/**
 * Whether, for some observer j and culprit c, the span of {all, probes, e_j, e_c} holds
 * e_h for another contributor h (that update could be computed from what j learns).
 */
export function revealsAnIndividual(n: number, probes: readonly (readonly number[])[]): boolean {
  const indicator = (members: readonly number[]) => {
    const v = new Array<bigint>(n).fill(0n);
    for (const i of members) v[i] = 1n;
    return v;
  };
  const unit = (i: number) => indicator([i]);
  const base = [indicator(Array.from({ length: n }, (_, i) => i)), ...probes.map(indicator)];
  for (let j = 0; j < n; j++) {
    for (let c = 0; c < n; c++) {
      const known = c === j ? [...base, unit(j)] : [...base, unit(j), unit(c)];
      const r = rank(known);
      for (let h = 0; h < n; h++) {
        if (h === j || h === c) continue;
        if (rank([...known, unit(h)]) === r) return true;
      }
    }
  }
  return false;
}

/** Exact rank of integer vectors (fraction-free elimination). */
function rank(vectors: readonly bigint[][]): number {
  const rows = vectors.map((v) => [...v]);
  const cols = rows[0]?.length ?? 0;
  let r = 0;
  for (let col = 0; col < cols && r < rows.length; col++) {
    const pivot = rows.findIndex((row, i) => i >= r && row[col] !== 0n);
    if (pivot < 0) continue;
    [rows[r], rows[pivot]] = [rows[pivot]!, rows[r]!];
    const p = rows[r]!;
    for (let i = r + 1; i < rows.length; i++) {
      const row = rows[i]!;
      const f = row[col]!;
      if (f === 0n) continue;
      for (let k = col; k < cols; k++) row[k] = row[k]! * p[col]! - p[k]! * f;
    }
    r++;
  }
  return r;
}
