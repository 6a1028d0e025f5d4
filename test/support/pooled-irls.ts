/**
 * Pooled reference fit, written independently of the module: Newton-Raphson with Gaussian
 * elimination (partial pivoting) and the covariance by Gauss-Jordan, iterated until the
 * step is below 1e-13 relative. `l2`: ridge on every column but the first (the intercept),
 * maximising loglik - l2/2 |beta|^2 (gaussian: minimising RSS + l2 |beta|^2), SEs from the
 * inverse of the penalised information.
 */
export function pooledIrls(
  data: { x: number[][]; y: number[] },
  family: 'binomial' | 'gaussian' | 'poisson',
  l2 = 0,
): { beta: number[]; se: number[]; deviance: number } {
  const rows = data.x;
  const ys = data.y;
  const p = rows[0]!.length;
  const meanOf = (eta: number) =>
    family === 'binomial' ? 1 / (1 + Math.exp(-eta)) : family === 'poisson' ? Math.exp(eta) : eta;
  let beta = new Array<number>(p).fill(0);
  let info: number[][] = [];
  for (let it = 0; it < 100; it++) {
    const g = new Array<number>(p).fill(0);
    info = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    rows.forEach((row, i) => {
      const mu = meanOf(row.reduce((a, v, j) => a + v * beta[j]!, 0));
      const w = family === 'binomial' ? mu * (1 - mu) : family === 'poisson' ? mu : 1;
      for (let a = 0; a < p; a++) {
        g[a]! += row[a]! * (ys[i]! - mu);
        for (let b = 0; b < p; b++) info[a]![b]! += w * row[a]! * row[b]!;
      }
    });
    for (let a = 1; a < p; a++) {
      g[a]! -= l2 * beta[a]!;
      info[a]![a]! += l2;
    }
    const step = solve(info, g);
    beta = beta.map((b, j) => b + step[j]!);
    if (step.every((s, j) => Math.abs(s) <= 1e-13 * Math.max(1, Math.abs(beta[j]!)))) break;
  }
  const inv = invert(info);
  let deviance = 0;
  rows.forEach((row, i) => {
    const mu = meanOf(row.reduce((a, v, j) => a + v * beta[j]!, 0));
    const y = ys[i]!;
    if (family === 'binomial') deviance += -2 * (y === 1 ? Math.log(mu) : Math.log(1 - mu));
    else if (family === 'poisson') deviance += 2 * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu));
    else deviance += (y - mu) ** 2;
  });
  const dispersion = family === 'gaussian' ? deviance / (rows.length - p) : 1;
  return { beta, se: inv.map((r, j) => Math.sqrt(r[j]! * dispersion)), deviance };
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = m[r]![n]!;
    for (let k = r + 1; k < n; k++) v -= m[r]![k]! * x[k]!;
    x[r] = v / m[r]![r]!;
  }
  return x;
}

function invert(a: number[][]): number[][] {
  return a
    .map((_, j) =>
      solve(
        a,
        a.map((__, i) => (i === j ? 1 : 0)),
      ),
    )
    .map((_, i, cols) => cols.map((col) => col[i]!));
}
