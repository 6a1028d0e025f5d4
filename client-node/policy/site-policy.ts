import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HeflError } from '../../common/errors/index.js';
import { MAX_MIN_CELL_SIZE } from '../../common/fl/data-report-layout.js';
import { zodProblems } from '../../common/validation/zod-problems.js';

/** Model kinds a job can ask for (see `common/job/model-spec.ts`). */
export const MODEL_KINDS = ['logreg', 'mlp', 'glm', 'stats'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * What hospital IT decides about the jobs their site takes part in. Read once when the
 * site starts (`hefl site start`, `hefl site policy check`), validated, normalised and
 * frozen; every offered job is checked against it (`evaluateJob`) and declined, with a
 * reason the researcher sees, when it falls outside.
 */
export interface SitePolicy {
  /** Format version of the policy file; only 1 exists. */
  readonly version: 1;
  /** Model kinds this site trains; any other kind is declined. */
  readonly allowedModels: readonly ModelKind[];
  /** Largest model (float32 weights incl. biases) the site trains; unset = no limit. */
  readonly maxParameters?: number;
  /** Most training rounds one job may run (each round sends one update); unset = no limit. */
  readonly maxRounds?: number;
  /** Decline every job that does not state a differential-privacy epsilon. */
  readonly requireDp: boolean;
  /**
   * Smallest noise multiplier (Gaussian noise stddev of the aggregate / L2 clip norm) the
   * site accepts for a DP job, whatever epsilon the job states; unset = no floor.
   */
  readonly minNoiseMultiplier?: number;
  /**
   * The site's total privacy budget over all DP jobs: epsilons add up (sequential
   * composition); `delta` is the largest delta a single job may run at.
   */
  readonly budget: Readonly<{ epsilon: number; delta: number }>;
  /** Whether a job may seal its final model to the researcher at the end. */
  readonly allowRelease: boolean;
  /**
   * 'auto': every job inside the policy is accepted. 'explicit': additionally, its job hash
   * must have been approved at this site first (`hefl site approve JOB_HASH`).
   */
  readonly approval: 'auto' | 'explicit';
  /**
   * Smallest total over all sites the researcher may see for one code in a job's round-0
   * data report; smaller totals are suppressed. With several sites the largest of their
   * minima applies. Whole number 1..100, default 5.
   */
  readonly minCellSize: number;
  /**
   * Fewest records (after the job's missing-value rule, training and held-out together) this
   * site must hold to take part in a statistical analysis (a `glm` or `stats` job): with fewer,
   * its sums say too much about each patient, so the job is declined (the reason says so, not
   * the count). Unset = no minimum. To refuse such jobs altogether, leave `glm` / `stats` out
   * of `allowedModels`.
   */
  readonly minRecords?: number;
}

/**
 * Defaults, used when a site has no policy file and written by `hefl site policy init`.
 * They keep a site as open as it was before policies existed (every model kind, no size or
 * round limit, DP optional, release allowed, automatic approval) so a first federation and
 * `hefl simulate` work out of the box, while still capping what DP jobs may spend:
 * epsilon 10 in total at delta 1e-5 per job. A production site should tighten them
 * (`requireDp: true`, `approval: explicit`, a smaller budget).
 */
export function defaultSitePolicy(): SitePolicy {
  return freezePolicy({
    version: 1,
    allowedModels: ['logreg', 'mlp', 'glm', 'stats'],
    requireDp: false,
    budget: { epsilon: 10, delta: 1e-5 },
    allowRelease: true,
    approval: 'auto',
    minCellSize: 5,
  });
}

const DEFAULTS = defaultSitePolicy();

export const sitePolicySchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only policy format so far; write version: 1)' }),
  allowedModels: z
    .array(z.enum(MODEL_KINDS, { error: `must be one of ${MODEL_KINDS.join(', ')}` }))
    .min(1, 'list at least one model kind')
    .default([...DEFAULTS.allowedModels]),
  maxParameters: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  maxRounds: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  requireDp: z.boolean().default(DEFAULTS.requireDp),
  minNoiseMultiplier: z.number().positive('must be > 0').max(1e4, 'must be at most 10000').optional(),
  budget: z
    .strictObject({
      epsilon: z.number().positive('must be > 0').max(1e4, 'must be at most 10000'),
      delta: z
        .number()
        .positive('must be > 0')
        .max(1e-3, 'must be at most 0.001 (use well below 1 / number of records)'),
    })
    .default({ ...DEFAULTS.budget }),
  allowRelease: z.boolean().default(DEFAULTS.allowRelease),
  approval: z.enum(['auto', 'explicit'], { error: 'must be auto or explicit' }).default(DEFAULTS.approval),
  minCellSize: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_MIN_CELL_SIZE, `must be at most ${MAX_MIN_CELL_SIZE}`)
    .default(DEFAULTS.minCellSize),
  minRecords: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
});

/**
 * Validates an untrusted policy value (a parsed file). Throws HeflError 'invalid_config'
 * listing every problem at once as `path: message`; `source` names the file in the message.
 */
export function parseSitePolicy(value: unknown, source = 'site policy'): SitePolicy {
  const result = sitePolicySchema.safeParse(value);
  if (!result.success) {
    const problems = zodProblems(result.error);
    throw new HeflError('invalid_config', `invalid ${source}:\n  ${problems.join('\n  ')}`, {
      cause: result.error,
    });
  }
  return freezePolicy(result.data);
}

/**
 * Reads and validates a policy file: `.json` as JSON, anything else as YAML (which also
 * reads JSON). `not_found` if missing, `invalid_argument` if unreadable, `invalid_config`
 * for bad syntax or content (naming the line for YAML syntax errors).
 */
export async function loadSitePolicy(path: string): Promise<SitePolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HeflError(
      missing ? 'not_found' : 'invalid_argument',
      `${missing ? 'no' : 'cannot read'} site policy file ${path}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new HeflError('invalid_config', `site policy ${path} cannot be parsed: ${detail}`, {
      cause: error,
    });
  }
  return parseSitePolicy(value, `site policy ${path}`);
}

/** Normalised, frozen copy: model kinds deduplicated in canonical order, optional limits only if set. */
function freezePolicy(p: {
  version: 1;
  allowedModels: readonly ModelKind[];
  maxParameters?: number | undefined;
  maxRounds?: number | undefined;
  requireDp: boolean;
  minNoiseMultiplier?: number | undefined;
  budget: { epsilon: number; delta: number };
  allowRelease: boolean;
  approval: 'auto' | 'explicit';
  minCellSize: number;
  minRecords?: number | undefined;
}): SitePolicy {
  return Object.freeze({
    version: 1,
    allowedModels: Object.freeze(MODEL_KINDS.filter((kind) => p.allowedModels.includes(kind))),
    ...(p.maxParameters === undefined ? {} : { maxParameters: p.maxParameters }),
    ...(p.maxRounds === undefined ? {} : { maxRounds: p.maxRounds }),
    requireDp: p.requireDp,
    ...(p.minNoiseMultiplier === undefined ? {} : { minNoiseMultiplier: p.minNoiseMultiplier }),
    budget: Object.freeze({ epsilon: p.budget.epsilon, delta: p.budget.delta }),
    allowRelease: p.allowRelease,
    approval: p.approval,
    minCellSize: p.minCellSize,
    ...(p.minRecords === undefined ? {} : { minRecords: p.minRecords }),
  });
}
