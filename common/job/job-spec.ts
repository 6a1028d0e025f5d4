import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../encoding/canonical-json.js';
import { HeflError } from '../errors/index.js';
import { DEFAULT_PROFILE_ID, listProfiles } from '../he/he-profile.js';
import { PLAINTEXT_PROFILE_ID } from '../he/plaintext-insecure.js';
import { didYouMean } from '../validation/did-you-mean.js';
import { zodProblems } from '../validation/zod-problems.js';
import { codeNormalisationSchema, featureEntrySchema, featureNames } from './feature-schema.js';
import { knownKeysAt } from './job-json-schema.js';
import { modelSpecSchema } from './model-spec.js';
import { strategyConfigSchema } from './strategy-config.js';

const PROFILE_IDS: [string, ...string[]] = [PLAINTEXT_PROFILE_ID, ...listProfiles().map((p) => p.id)];

const localSchema = z
  .strictObject({
    epochs: z.number().int().min(1).max(10_000).optional(),
    steps: z.number().int().min(1).max(10_000_000).optional(),
    batchSize: z.number().int().min(1).max(1_000_000).default(32),
    learningRate: z.number().positive().max(100).default(0.05),
    optimizer: z.enum(['sgd', 'adam']).default('sgd'),
  })
  .refine((l) => l.epochs === undefined || l.steps === undefined, {
    message: 'set epochs or steps, not both',
    path: ['steps'],
  });

/**
 * A researcher's job, validated once into a frozen value. Its canonical JSON's SHA-256
 * is the job hash that sites approve and every log entry refers to. Units: seconds for
 * deadlines; `clipRange` bounds each value of an update; `maxSites` sizes the HE
 * quantizer (a larger federation than this cannot join the job).
 */
export const jobSpecSchema = z
  .strictObject({
    name: z.string().min(1).max(120).default('job'),
    model: modelSpecSchema,
    rounds: z.number().int().min(1).max(10_000),
    local: localSchema.default({ batchSize: 32, learningRate: 0.05, optimizer: 'sgd' }),
    strategy: strategyConfigSchema.default({ name: 'fedavg' }),
    minSites: z.number().int().min(1).max(100_000).default(2),
    maxSites: z.number().int().min(1).max(100_000).default(100),
    roundDeadlineSeconds: z.number().positive().max(86_400).default(300),
    recruitSeconds: z.number().positive().max(86_400).default(60),
    he: z
      .strictObject({
        profile: z.enum(PROFILE_IDS).default(DEFAULT_PROFILE_ID),
        clipRange: z.number().positive().max(1e6).default(1),
        /**
         * `pairwise`: each site adds pairwise masks mod t under the encryption, so a site
         * holding the job key (with the coordinator's copies) cannot read another site's
         * upload; needs minSites >= 3 and no dropout (see README). Absent = off.
         */
        masks: z.enum(['pairwise', 'off']).optional(),
      })
      .default({ profile: DEFAULT_PROFILE_ID, clipRange: 1 }),
    data: z.strictObject({
      label: z.string().min(1),
      features: z.array(featureEntrySchema).min(1).optional(),
      categorical: z.array(z.string().min(1)).default([]),
      normalise: codeNormalisationSchema.optional(),
      missing: z.enum(['drop-row', 'impute-mean']).default('drop-row'),
      testFraction: z.number().gt(0).lt(1).default(0.34),
      /**
       * How numeric features are z-scored. `global` (absent = this): every site uses the
       * statistics summed under encryption, identical everywhere. `per-site`: each site uses
       * its own training rows' mean and std (FLamby's rule), which stay at the site.
       */
      scaling: z.enum(['global', 'per-site']).optional(),
    }),
    /**
     * Differential privacy. `unit` is what is protected: `record` (default) = one patient
     * record at a site, by DP-SGD in local training (per-example clipping to clipNorm,
     * Gaussian noise, Poisson sampling), each site choosing its own noise for this epsilon
     * from its own row count; `site` = one site's whole update per round (DP-FedAvg), clipped
     * to clipNorm and noised after training.
     */
    dp: z
      .strictObject({
        unit: z.enum(['record', 'site']).default('record'),
        epsilon: z.number().positive().max(1e4),
        delta: z.number().gt(0).lt(1).default(1e-5),
        clipNorm: z.number().positive().default(1),
      })
      .optional(),
    metrics: z
      .array(z.enum(['accuracy', 'auc', 'loss']))
      .min(1)
      .default(['accuracy', 'auc', 'loss']),
    release: z.strictObject({ toResearcher: z.boolean().default(true) }).default({ toResearcher: true }),
    weightCap: z.number().int().min(1).max(1e9).default(100_000),
    seed: z.number().int().min(0).max(0xffff_ffff).default(42),
  })
  .superRefine((spec, ctx) => {
    checkFeatureList(spec.data, ctx);
    if (spec.minSites > spec.maxSites) {
      ctx.addIssue({ code: 'custom', path: ['minSites'], message: `exceeds maxSites (${spec.maxSites})` });
    }
    if (spec.he.masks === 'pairwise' && spec.minSites < 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['he', 'masks'],
        message: 'pairwise masks need minSites >= 3 (with 2 sites each can compute the other from the sum)',
      });
    }
    if (spec.he.masks === 'pairwise' && spec.he.profile.startsWith('ckks')) {
      ctx.addIssue({ code: 'custom', path: ['he', 'masks'], message: 'pairwise masks need a BGV profile' });
    }
    if (spec.strategy.name === 'fedprox' && spec.strategy.proximalMu === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'proximalMu'],
        message: 'fedprox needs proximalMu > 0',
      });
    }
    if (spec.model.kind === 'glm' && spec.data.scaling === 'per-site') {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'scaling'],
        message: 'a glm job fits one shared design; per-site scaling does not apply',
      });
    }
    // GLM iterations send exact sums: no DP filter applies to them, so none may be claimed.
    if ((spec.model.kind === 'glm' || spec.model.kind === 'stats') && spec.dp !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dp'],
        message: `a ${spec.model.kind} job releases exact (not differentially private) estimates; remove dp`,
      });
    }
    // A stats job computes its tables once (round 1; the final round repeats them).
    if (spec.model.kind === 'stats' && spec.rounds !== 1) {
      ctx.addIssue({ code: 'custom', path: ['rounds'], message: 'a stats job runs 1 round; set rounds: 1' });
    }
  });

/** Feature names unique, none the label, and no declared non-categorical feature listed as categorical. */
function checkFeatureList(
  data: {
    label: string;
    features?: z.output<typeof featureEntrySchema>[] | undefined;
    categorical: string[];
  },
  ctx: z.RefinementCtx,
): void {
  const names = featureNames(data.features ?? []);
  names.forEach((name, i) => {
    if (name === data.label)
      ctx.addIssue({ code: 'custom', path: ['data', 'features', i], message: `'${name}' is the label` });
    if (names.indexOf(name) !== i)
      ctx.addIssue({ code: 'custom', path: ['data', 'features', i], message: `'${name}' is listed twice` });
  });
  for (const entry of data.features ?? []) {
    if (typeof entry !== 'string' && entry.type === 'numeric' && data.categorical.includes(entry.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'categorical'],
        message: `'${entry.name}' is declared numeric in data.features`,
      });
    }
  }
}

export type JobSpec = Readonly<z.output<typeof jobSpecSchema>>;
export type JobSpecInput = z.input<typeof jobSpecSchema>;

/** A job spec with its canonical bytes and hash (what sites approve). */
export interface ParsedJob {
  readonly spec: JobSpec;
  readonly canonical: Uint8Array;
  readonly hash: string;
}

/**
 * Validates an untrusted job spec (a researcher's file, or bytes from the wire).
 * Throws HeflError 'invalid_config' listing every problem as `path: message`.
 */
export function parseJobSpec(value: unknown): ParsedJob {
  const result = jobSpecSchema.safeParse(value);
  if (!result.success) {
    const problems = jobSpecProblems(result.error);
    throw new HeflError('invalid_config', `invalid job spec:\n  ${problems.join('\n  ')}`, {
      publicDetail: problems.join('; '),
    });
  }
  const spec = deepFreeze(result.data);
  const canonical = new TextEncoder().encode(canonicalJson(spec));
  return { spec, canonical, hash: createHash('sha256').update(canonical).digest('hex') };
}

/**
 * `path: message` for every problem, with "did you mean" for a misspelt key
 * (`roundDeadline` -> `roundDeadlineSeconds`), from the keys the format allows there.
 */
function jobSpecProblems(error: z.ZodError): string[] {
  const plain = zodProblems(error);
  return error.issues
    .map((issue, i) => {
      if (issue.code !== 'unrecognized_keys') return plain[i]!;
      const known = knownKeysAt(issue.path);
      const where = issue.path.map(String).join('.') || '(root)';
      return issue.keys
        .map((key) => {
          const guess = didYouMean(key, known);
          return `${where}: unknown key '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}`;
        })
        .join('\n');
    })
    .flatMap((line) => line.split('\n'));
}

/** Parses the canonical bytes a job travels as. */
export function parseJobBytes(bytes: Uint8Array): ParsedJob {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new HeflError('invalid_config', 'job spec bytes are not UTF-8 JSON', { cause });
  }
  return parseJobSpec(value);
}

/**
 * Salt of the keyed category hash (feature vocabularies): derived from the data section
 * and the seed only, so two jobs over the same data and seed (say, with and without HE)
 * build identical features.
 */
export function featureSalt(spec: JobSpec): string {
  return createHash('sha256')
    .update(canonicalJson({ data: spec.data, seed: spec.seed }))
    .digest('hex');
}

/** Rounds the coordinator runs: 0 = encrypted feature statistics, 1..R training, R+1 final evaluation. */
export function totalRounds(spec: JobSpec): number {
  return spec.rounds + 2;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
