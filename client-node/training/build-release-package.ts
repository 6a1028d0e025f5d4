import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../../common/job/model-spec.js';
import type { ModelCard, ReleasePackage } from '../model-release.js';
import { buildModel, setFlatWeights } from './model-builder.js';

/**
 * Serialises the final global model in TensorFlow.js layers format (model.json + one
 * weights file), the form `tf.loadLayersModel` reads. Owns its tfjs model and frees it.
 */
export async function buildReleasePackage(
  spec: ModelSpec,
  inputDim: number,
  weights: Float32Array,
  card: ModelCard,
): Promise<Uint8Array> {
  const model = buildModel(spec, inputDim, 0);
  try {
    setFlatWeights(model, weights);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const data = artifacts!.weightData as ArrayBuffer;
    const pkg: ReleasePackage = {
      format: 'hefl-model-release/v1',
      modelJson: {
        format: 'layers-model',
        generatedBy: 'hefl',
        convertedBy: null,
        modelTopology: artifacts!.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }],
      },
      weightsBase64: Buffer.from(data).toString('base64'),
      card,
    };
    return new TextEncoder().encode(JSON.stringify(pkg));
  } finally {
    model.dispose();
  }
}
