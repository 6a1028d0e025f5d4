/** A synthetic binary classification set for tests and benchmarks (never real records). */
export interface SeparableDataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Standard-normal features; label 1 when a fixed random direction gives a positive score.
 * `margin` > 0 removes points closer than that to the boundary, so the classes separate.
 * The same (rows, cols, seed) always gives the same data.
 */
export function separableDataset(rows: number, cols: number, seed: number, margin = 0.25): SeparableDataset {
  const random = gaussian(seed);
  const direction = Array.from({ length: cols }, () => random());
  const norm = Math.hypot(...direction);
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let row = 0; row < rows; ) {
    let score = 0;
    for (let c = 0; c < cols; c++) {
      const value = random();
      x[row * cols + c] = value;
      score += (value * direction[c]!) / norm;
    }
    if (Math.abs(score) < margin) continue;
    y[row] = score > 0 ? 1 : 0;
    row++;
  }
  return { x, y, rows, cols };
}

/** Box-Muller over a 32-bit LCG: deterministic, good enough for synthetic data. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
