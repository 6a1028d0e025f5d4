import { z } from 'zod';
import { HeflError } from '../errors/index.js';
import { freezeStatsSpec, type StatsSpec, statsSchema } from './stats-spec.js';

export type { StatsSpec };

/**
 * How the round-0 weights are drawn (seeded by the job seed, so every site derives the same
 * model): `glorot-uniform` (absent = this) draws kernels from U(-sqrt(6/(fan_in+fan_out)), +)
 * with zero biases; `pytorch-linear` is PyTorch's default `nn.Linear` initialisation, kernels
 * AND biases from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), so a job can start the way a PyTorch
 * reference (FLamby) does.
 */
export const MODEL_INITS = ['glorot-uniform', 'pytorch-linear'] as const;
export type ModelInit = (typeof MODEL_INITS)[number];
const initSchema = z.enum(MODEL_INITS).optional();

const logregSchema = z.strictObject({ kind: z.literal('logreg'), init: initSchema });

/**
 * A federated GLM fitted by IRLS on exact encrypted sums (client-node/glm); one round = one
 * Newton step, the job's `rounds` is the iteration limit. `binomial` (logistic) models the
 * label column's 0/1 class (the job's label rule: num > 0 is 1), `gaussian` (linear) and
 * `poisson` (log-linear counts) model the label column's numeric value. `l2` (optional, >= 0):
 * ridge penalty l2/2 * |beta|^2 on the log-likelihood, intercept unpenalised.
 */
const glmSchema = z.strictObject({
  kind: z.literal('glm'),
  family: z
    .enum(['binomial', 'gaussian', 'poisson'], { error: 'must be binomial, gaussian or poisson' })
    .default('binomial'),
  tolerance: z.number().positive('must be > 0').max(1e-3, 'must be at most 1e-3').default(1e-10),
  l2: z.number().min(0, 'must be >= 0').max(1e6, 'must be at most 1e6').optional(),
});

const mlpSchema = z.strictObject({
  kind: z.literal('mlp'),
  hidden: z
    .array(z.number().int().min(1, 'must be at least 1 unit').max(1024, 'must be at most 1024 units'))
    .min(1, 'needs at least 1 hidden layer')
    .max(4, 'allows at most 4 hidden layers'),
  activation: z.enum(['relu', 'tanh']),
  init: initSchema,
});

/**
 * The JSON model spec a job carries. Every model is a binary classifier with one sigmoid
 * output; `logreg` has no hidden layer. The input dimension is not part of the spec: it
 * comes from the site's data schema, which all sites share.
 */
export const modelSpecSchema = z.discriminatedUnion('kind', [
  logregSchema,
  mlpSchema,
  glmSchema,
  statsSchema,
]);

export type ModelSpec = LogregSpec | MlpSpec | GlmSpec | StatsSpec;
export interface LogregSpec {
  readonly kind: 'logreg';
  /** Absent: `glorot-uniform` (kept absent so older jobs keep their hash). */
  readonly init?: ModelInit | undefined;
}
export interface GlmSpec {
  readonly kind: 'glm';
  readonly family: 'binomial' | 'gaussian' | 'poisson';
  /** Converged when |D_k - D_{k-1}| / (|D_k| + 0.1) falls below this. */
  readonly tolerance: number;
  /** Ridge penalty (l2/2 |beta|^2 on the log-likelihood, intercept not penalised); absent = none. */
  readonly l2?: number;
}
export interface MlpSpec {
  readonly kind: 'mlp';
  readonly hidden: readonly number[];
  readonly activation: 'relu' | 'tanh';
  /** Absent: `glorot-uniform`. */
  readonly init?: ModelInit | undefined;
}

/**
 * Validates an untrusted model spec (job file, protobuf payload) and returns a frozen,
 * normalised copy. Throws HeflError 'invalid_config' listing every problem as `path: message`.
 */
export function parseModelSpec(value: unknown): ModelSpec {
  const result = modelSpecSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new HeflError('invalid_config', `invalid model spec: ${problems.join('; ')}`, {
      cause: result.error,
    });
  }
  const spec = result.data;
  if (spec.kind === 'stats') return freezeStatsSpec(spec);
  const init = spec.kind !== 'glm' && spec.init !== undefined ? { init: spec.init } : {};
  if (spec.kind === 'logreg') return Object.freeze({ kind: 'logreg', ...init });
  if (spec.kind === 'glm')
    return Object.freeze({
      kind: 'glm',
      family: spec.family,
      tolerance: spec.tolerance,
      ...(spec.l2 === undefined ? {} : { l2: spec.l2 }),
    });
  return Object.freeze({
    kind: 'mlp',
    hidden: Object.freeze([...spec.hidden]),
    activation: spec.activation,
    ...init,
  });
}

/** Layer widths from input to output, e.g. [15, 32, 16, 1] for an MLP [32, 16] on 15 features. */
export function layerWidths(spec: ModelSpec, inputDim: number): number[] {
  if (!Number.isInteger(inputDim) || inputDim < 1) {
    throw new HeflError('invalid_argument', `input dimension must be a positive integer, got ${inputDim}`);
  }
  // A GLM has at most one coefficient per input plus the intercept: sized like logreg.
  return spec.kind === 'mlp' ? [inputDim, ...spec.hidden, 1] : [inputDim, 1];
}

/**
 * One weight tensor's place in the flat weight vector every site exchanges.
 * Order (fixed, identical at every site): for each dense layer from input to output, its
 * kernel then its bias. A kernel of shape [in, out] is row-major, so the weight from input
 * unit i to output unit j sits at `offset + i * out + j`.
 */
export interface WeightTensorLayout {
  /** Stable name, e.g. `dense1/kernel` (not the tfjs-generated variable name). */
  readonly name: string;
  readonly shape: readonly number[];
  /** Index of this tensor's first element in the flat vector. */
  readonly offset: number;
  readonly size: number;
}

/** The flat-vector layout of a spec's model, computed without building it. */
export function weightLayoutOf(spec: ModelSpec, inputDim: number): WeightTensorLayout[] {
  const widths = layerWidths(spec, inputDim);
  const layout: WeightTensorLayout[] = [];
  let offset = 0;
  for (let layer = 1; layer < widths.length; layer++) {
    const [units, fanIn] = [widths[layer]!, widths[layer - 1]!];
    layout.push({ name: `dense${layer - 1}/kernel`, shape: [fanIn, units], offset, size: fanIn * units });
    offset += fanIn * units;
    layout.push({ name: `dense${layer - 1}/bias`, shape: [units], offset, size: units });
    offset += units;
  }
  return layout;
}

/** Number of float32 weights (kernels plus biases) in the model: the length of a flat update. */
export function parameterCount(spec: ModelSpec, inputDim: number): number {
  const last = weightLayoutOf(spec, inputDim).at(-1)!;
  return last.offset + last.size;
}

/** `['hidden', 2]` → `hidden[2]`; the root is called `spec`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = 'spec';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}
