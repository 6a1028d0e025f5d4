import { HeflError } from '../../common/errors/index.js';

/** The shape of a local dataset as training and evaluation receive it. */
export interface DatasetShape {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly cols: number;
  readonly inputDim: number;
}

/**
 * Refuses inconsistent sizes, labels other than 0/1 and non-finite features with HeflError
 * 'invalid_argument'. Messages name sizes, rows and columns, never values.
 */
export function checkDataset(data: DatasetShape, context: string, minRows: number): void {
  const { rows, cols, inputDim, x, y } = data;
  const fail = (message: string): never => {
    throw new HeflError('invalid_argument', `${context}: ${message}`);
  };
  if (!Number.isInteger(rows) || rows < minRows) fail(`rows must be an integer >= ${minRows}, got ${rows}`);
  if (cols !== inputDim) fail(`data has ${cols} columns but the model expects ${inputDim} inputs`);
  if (x.length !== rows * cols) fail(`x has ${x.length} values, expected rows x cols = ${rows * cols}`);
  if (y.length !== rows) fail(`y has ${y.length} labels, expected ${rows}`);
  for (let i = 0; i < y.length; i++) if (y[i] !== 0 && y[i] !== 1) fail(`label at row ${i} is not 0 or 1`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]))
      fail(`feature at row ${Math.floor(i / cols)}, column ${i % cols} is not finite`);
  }
}
