import type { ModelCard, ReleasePackage } from '../model-release.js';

/**
 * A GLM job's release: its card (with the regression table) and the coefficients as the
 * weights (float32, the table's order; what the sites' signed model hash covers). No
 * TensorFlow.js model: a GLM is a table, read on the columns' original scale.
 */
export function glmReleasePackage(coefficients: Float32Array, card: ModelCard): Uint8Array {
  const pkg: ReleasePackage = {
    format: 'hefl-model-release/v1',
    modelJson: null,
    weightsBase64: Buffer.from(
      coefficients.buffer,
      coefficients.byteOffset,
      coefficients.byteLength,
    ).toString('base64'),
    card,
  };
  return new TextEncoder().encode(JSON.stringify(pkg));
}
