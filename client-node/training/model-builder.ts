import * as tf from '@tensorflow/tfjs';
import { HeflError } from '../../common/errors/index.js';
import { layerWidths, type ModelSpec, type WeightTensorLayout } from '../../common/job/model-spec.js';

// TensorFlow.js's own console warnings are off: hefl logs the backend it chose (site.backend),
// and the first tensor on the pure-JS backend (the round-0 model built on a site's main
// thread) would otherwise print tfjs's "install our node backend" banner on the operator's
// stderr (issue 17: no third-party banners). The 'PROD' flag only silences warnings.
tf.env().set('PROD', true);

// The only file that creates tfjs models. A model never leaves the training code: other
// parts of hefl see its weights as one flat Float32Array in the order of `weightLayout`,
// which always equals `weightLayoutOf(spec, inputDim)` (see model-spec.ts for the order).

/**
 * Builds a binary classifier: dense hidden layers (per spec), then one sigmoid unit.
 * Initial weights depend only on (spec, inputDim, seed), so every site can derive the
 * round-0 model: by default kernels are Glorot-uniform seeded with `seed + layerIndex` and
 * biases zero; `init: 'pytorch-linear'` draws kernel and bias of each layer from
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (seeds `seed + layerIndex` and a distinct one for the bias).
 * The caller must `dispose()` the model.
 */
export function buildModel(spec: ModelSpec, inputDim: number, seed: number): tf.LayersModel {
  if (!Number.isSafeInteger(seed)) throw new HeflError('invalid_argument', 'model seed must be an integer');
  const widths = layerWidths(spec, inputDim);
  const model = tf.sequential();
  for (let layer = 1; layer < widths.length; layer++) {
    const isOutput = layer === widths.length - 1;
    model.add(
      tf.layers.dense({
        units: widths[layer]!,
        activation: isOutput ? 'sigmoid' : spec.kind === 'mlp' ? spec.activation : 'linear',
        ...initializers(spec, widths[layer - 1]!, seed + layer - 1),
        ...(layer === 1 ? { inputShape: [inputDim] } : {}),
      }),
    );
  }
  return model;
}

function initializers(
  spec: ModelSpec,
  fanIn: number,
  seed: number,
): {
  kernelInitializer: ReturnType<typeof tf.initializers.zeros>;
  biasInitializer: ReturnType<typeof tf.initializers.zeros>;
} {
  const init = spec.kind === 'logreg' || spec.kind === 'mlp' ? spec.init : undefined;
  if (init === 'pytorch-linear') {
    const bound = 1 / Math.sqrt(fanIn);
    return {
      kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed }),
      // A seed no kernel uses (kernels take seed + layer), so bias and kernel draws differ.
      biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seed + 0x5eed }),
    };
  }
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.zeros(),
  };
}

/** Shapes and offsets of every weight tensor, in flat-vector order. */
export function weightLayout(model: tf.LayersModel): WeightTensorLayout[] {
  const layout: WeightTensorLayout[] = [];
  let offset = 0;
  model.layers.forEach((layer, index) => {
    for (const weight of layer.weights) {
      const size = weight.shape.reduce<number>((product, dim) => product * (dim ?? 0), 1);
      const role = weight.name.endsWith('kernel') ? 'kernel' : 'bias';
      layout.push({ name: `dense${index}/${role}`, shape: weight.shape.map((d) => d ?? 0), offset, size });
      offset += size;
    }
  });
  return layout;
}

/** Copies all weights out of the model into one new flat Float32Array. */
export function getFlatWeights(model: tf.LayersModel): Float32Array {
  const layout = weightLayout(model);
  const last = layout[layout.length - 1];
  const flat = new Float32Array(last === undefined ? 0 : last.offset + last.size);
  // getWeights() returns the model's own variables: read them, never dispose them.
  model.getWeights().forEach((tensor, k) => {
    flat.set(tensor.dataSync() as Float32Array, layout[k]!.offset);
  });
  return flat;
}

/** Overwrites all weights from a flat vector in `weightLayout` order. */
export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const layout = weightLayout(model);
  const expected = layout.reduce((sum, entry) => sum + entry.size, 0);
  if (flat.length !== expected) {
    throw new HeflError(
      'invalid_argument',
      `weight vector has ${flat.length} values, the model needs ${expected}`,
    );
  }
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) throw new HeflError('invalid_argument', `weight ${i} is not finite`);
  }
  const tensors = layout.map((entry) =>
    // slice(): the cpu backend would otherwise keep a view on the caller's array.
    tf.tensor(flat.slice(entry.offset, entry.offset + entry.size), [...entry.shape], 'float32'),
  );
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** The seeded round-0 weights for a spec, without handing a model to the caller. */
export function initialWeights(spec: ModelSpec, inputDim: number, seed: number): Float32Array {
  const model = buildModel(spec, inputDim, seed);
  try {
    return getFlatWeights(model);
  } finally {
    model.dispose();
  }
}
