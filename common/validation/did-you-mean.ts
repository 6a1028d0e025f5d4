/**
 * The known key a misspelt one most likely meant: a key the unknown one starts (or ends)
 * with, or one within a small edit distance (about a third of its length). Undefined when
 * nothing is close, so a suggestion is only made when it is likely right.
 */
export function didYouMean(unknown: string, known: readonly string[]): string | undefined {
  const u = unknown.toLowerCase();
  const prefix = known.find((k) => {
    const c = k.toLowerCase();
    return u.length >= 3 && (c.startsWith(u) || u.startsWith(c) || c.endsWith(u));
  });
  if (prefix) return prefix;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(u.length / 3));
  for (const k of known) {
    const d = editDistance(u, k.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute, swap two neighbours) between two strings. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(
        d[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
