/**
 * Usual conversions between clinical units (value in the other unit -> the declared one), the
 * named clinical ones first: where several fit, the first is reported.
 */
const CONVERSIONS: readonly { readonly label: string; readonly apply: (v: number) => number }[] = [
  ...[
    [38.67, 'cholesterol mmol/L -> mg/dL'],
    [18.016, 'glucose mmol/L -> mg/dL'],
    [88.42, 'creatinine mg/dL -> umol/L'],
    [2.2046, 'kg -> lb'],
    [2.54, 'in -> cm'],
    [7.5006, 'kPa -> mmHg'],
  ].flatMap(([f, what]) => [
    { label: `x${f} (${what})`, apply: (v: number) => v * (f as number) },
    { label: `/${f} (the reverse of ${what})`, apply: (v: number) => v / (f as number) },
  ]),
  ...[10, 100, 1000].flatMap((f) => [
    { label: `x${f}`, apply: (v: number) => v * f },
    { label: `/${f}`, apply: (v: number) => v / f },
  ]),
  { label: 'degF -> degC', apply: (v: number) => ((v - 32) * 5) / 9 },
  { label: 'degC -> degF', apply: (v: number) => (v * 9) / 5 + 32 },
];

/** Share of values outside the range above which a column is tested for another unit. */
const MOSTLY_OUTSIDE = 0.5;
/** Share of values a conversion must bring into the range to count as the explanation. */
const CONVERTED_INSIDE = 0.9;

/**
 * Names the usual unit conversion that would bring most of a column into its plausible
 * `range`, when most of it lies outside (e.g. cholesterol sent in mmol/L for a job that
 * declares mg/dL), else undefined. The result names a conversion, never a value.
 */
export function unitMismatch(values: Float64Array, range: readonly [number, number]): string | undefined {
  const [lo, hi] = range;
  const inside = (v: number) => v >= lo && v <= hi;
  let n = 0;
  let outside = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    n++;
    if (!inside(v)) outside++;
  }
  if (n === 0 || outside / n < MOSTLY_OUTSIDE) return undefined;
  for (const conversion of CONVERSIONS) {
    let ok = 0;
    for (const v of values) if (!Number.isNaN(v) && inside(conversion.apply(v))) ok++;
    if (ok / n >= CONVERTED_INSIDE) return conversion.label;
  }
  return undefined;
}
