import { HeflError } from '../../common/errors/index.js';

/** Relative pivot below which a column counts as a linear combination of the earlier ones. */
const SINGULAR_PIVOT = 1e-10;

/**
 * Inverse of a symmetric positive definite p x p matrix (row-major) by Cholesky. A pivot
 * that collapses (the column is, to 1e-10 of its own scale, a combination of the columns
 * before it) throws naming that column: the Hessian is singular there.
 */
export function choleskyInverse(matrix: Float64Array, names: readonly string[]): Float64Array {
  const p = names.length;
  const l = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let diag = matrix[j * p + j]!;
    for (let k = 0; k < j; k++) diag -= l[j * p + k]! ** 2;
    const scale = Math.abs(matrix[j * p + j]!);
    if (!(diag > SINGULAR_PIVOT * scale) || !(scale > 0)) {
      throw new HeflError(
        'failed_precondition',
        `GLM: the summed Hessian is singular at feature ${names[j]} (it is constant or a linear combination of the features before it)`,
      );
    }
    const root = Math.sqrt(diag);
    l[j * p + j] = root;
    for (let i = j + 1; i < p; i++) {
      let v = matrix[i * p + j]!;
      for (let k = 0; k < j; k++) v -= l[i * p + k]! * l[j * p + k]!;
      l[i * p + j] = v / root;
    }
  }
  // inv(L), lower triangular
  const li = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    li[j * p + j] = 1 / l[j * p + j]!;
    for (let i = j + 1; i < p; i++) {
      let v = 0;
      for (let k = j; k < i; k++) v -= l[i * p + k]! * li[k * p + j]!;
      li[i * p + j] = v / l[i * p + i]!;
    }
  }
  // inv(A) = inv(L)' inv(L)
  const inv = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = i; j < p; j++) {
      let v = 0;
      for (let k = j; k < p; k++) v += li[k * p + i]! * li[k * p + j]!;
      inv[i * p + j] = v;
      inv[j * p + i] = v;
    }
  return inv;
}
