import * as tf from '@tensorflow/tfjs';

/**
 * A dense binary classifier as plain tensors: layer k maps a[k] to
 * act(a[k] kernels[k] + biases[k]); hidden layers use `hiddenActivation`, the last one a
 * sigmoid. Same maths and flat layout as `buildModel` (kernel [in, out] row-major, then bias).
 */
export interface DenseParams {
  readonly kernels: readonly tf.Tensor2D[];
  readonly biases: readonly tf.Tensor1D[];
  readonly hiddenActivation: 'relu' | 'tanh';
}

/** The summed clipped gradient of one batch, per parameter tensor, and what it cost. */
export interface ClippedGradientSum {
  /** Sum over the batch of each example's gradient, each scaled to L2 norm <= clipNorm. */
  readonly kernels: tf.Tensor2D[];
  readonly biases: tf.Tensor1D[];
  /** Sum over the batch of the per-example binary cross-entropy (before clipping); scalar. */
  readonly lossSum: tf.Scalar;
  /** Each example's gradient L2 norm before clipping, [n]. Data-dependent: never leaves the site. */
  readonly norms: tf.Tensor1D;
}

/** Probabilities are clipped to [EPS, 1 - EPS] in the reported loss, as Keras does. */
const LOSS_EPSILON = 1e-7;
/**
 * Relative margin under clipNorm: float32 rounding of norm and scale can overshoot the bound
 * by ~1e-7 relative, and the sensitivity must hold exactly.
 */
const CLIP_MARGIN = 1 - 1e-5;

/**
 * Per-example gradients of the binary cross-entropy, clipped and summed, without ever
 * materialising one gradient per example (DP-SGD's costly part). For a dense layer the
 * gradient of example i is the outer product a_i ⊗ δ_i of its input activation and its
 * back-propagated error, so its squared norm is |a_i|² |δ_i|² (plus |δ_i|² for the bias):
 * one forward and one backward pass over the batch give every example's norm, and the
 * clipped sum is one matmul per layer, a^T (δ · scale). ("Ghost clipping", Goodfellow 2015;
 * Lee and Kifer 2021; as in Opacus' fast gradient clipping.)
 *
 * `x` is [n, inputDim], `y` [n, 1] with 0/1 labels, n >= 1. Call inside `tf.tidy`: every
 * returned tensor is new and owned by the caller.
 */
export function clippedGradientSum(
  params: DenseParams,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  clipNorm: number,
): ClippedGradientSum {
  const layers = params.kernels.length;
  const inputs: tf.Tensor2D[] = [x];
  const outputs: tf.Tensor2D[] = [];
  for (let k = 0; k < layers; k++) {
    const z = inputs[k]!.matMul(params.kernels[k]!).add(params.biases[k]!) as tf.Tensor2D;
    const a = k === layers - 1 ? tf.sigmoid(z) : params.hiddenActivation === 'relu' ? tf.relu(z) : tf.tanh(z);
    outputs.push(a);
    inputs.push(a);
  }
  const p = outputs[layers - 1]!;
  // dBCE/dz of a sigmoid output is p - y.
  const deltas: tf.Tensor2D[] = new Array(layers);
  deltas[layers - 1] = p.sub(y);
  for (let k = layers - 1; k > 0; k--) {
    const back = deltas[k]!.matMul(params.kernels[k]!, false, true);
    const a = outputs[k - 1]!;
    const derivative = params.hiddenActivation === 'relu' ? tf.step(a) : tf.scalar(1).sub(a.square());
    deltas[k - 1] = back.mul(derivative) as tf.Tensor2D;
  }
  let normSquared = tf.zeros([x.shape[0]]) as tf.Tensor1D;
  for (let k = 0; k < layers; k++) {
    const inputSquared = inputs[k]!.square().sum(1).add(1); // + 1: the bias' input
    normSquared = normSquared.add(inputSquared.mul(deltas[k]!.square().sum(1)));
  }
  const norms = normSquared.sqrt() as tf.Tensor1D;
  const bound = clipNorm * CLIP_MARGIN;
  // scale_i = min(1, bound / norm_i); a zero gradient keeps scale 1.
  const scale = tf.minimum(1, tf.div(bound, tf.maximum(norms, 1e-30))).reshape([-1, 1]) as tf.Tensor2D;
  const kernels: tf.Tensor2D[] = [];
  const biases: tf.Tensor1D[] = [];
  for (let k = 0; k < layers; k++) {
    const scaled = deltas[k]!.mul(scale) as tf.Tensor2D;
    kernels.push(inputs[k]!.matMul(scaled, true, false) as tf.Tensor2D);
    biases.push(scaled.sum(0) as tf.Tensor1D);
  }
  const pc = p.clipByValue(LOSS_EPSILON, 1 - LOSS_EPSILON);
  const lossSum = y
    .mul(pc.log())
    .add(tf.scalar(1).sub(y).mul(tf.scalar(1).sub(pc).log()))
    .sum()
    .neg() as tf.Scalar;
  return { kernels, biases, lossSum, norms };
}
