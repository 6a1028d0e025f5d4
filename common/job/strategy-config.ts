import { z } from 'zod';
import { HeflError } from '../errors/index.js';
import { zodProblems } from '../validation/zod-problems.js';

export const STRATEGY_NAMES = ['fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

const ADAPTIVE: ReadonlySet<StrategyName> = new Set(['fedadam', 'fedyogi', 'fedadagrad']);

/**
 * Server learning rate (eta) defaults. FedAvg/FedProx take the plain average (eta 1);
 * the adaptive ones use Flower's defaults (FedAdam 0.1, FedYogi 0.01, FedAdagrad 0.1).
 */
const DEFAULT_ETA: Readonly<Record<StrategyName, number>> = {
  fedavg: 1,
  fedprox: 1,
  fedadam: 0.1,
  fedyogi: 0.01,
  fedadagrad: 0.1,
};

const positive = z.number().finite().positive();
const unitInterval = z.number().finite().min(0).lt(1);

/** The strategy part of a job file, as the researcher writes it. */
export const strategyConfigSchema = z
  .strictObject({
    name: z.enum(STRATEGY_NAMES),
    serverLearningRate: positive.optional(),
    beta1: unitInterval.optional(),
    beta2: unitInterval.optional(),
    tau: positive.optional(),
    proximalMu: z.number().finite().min(0).optional(),
  })
  .superRefine((config, ctx) => {
    const adaptive = ADAPTIVE.has(config.name);
    for (const key of ['beta1', 'beta2', 'tau'] as const) {
      if (!adaptive && config[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `only applies to fedadam, fedyogi and fedadagrad`,
        });
      }
    }
    if (config.name !== 'fedprox' && config.proximalMu !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['proximalMu'], message: 'only applies to fedprox' });
    }
  });

export type StrategyConfigInput = z.input<typeof strategyConfigSchema>;

/** A validated strategy config with every default filled in; frozen. */
export interface StrategyConfig {
  readonly name: StrategyName;
  /** eta: multiplies the (adaptive) step applied to the global model; dimensionless. */
  readonly serverLearningRate: number;
  /** First-moment decay (adaptive strategies only). */
  readonly beta1: number;
  /** Second-moment decay (FedAdam, FedYogi; FedAdagrad accumulates without decay). */
  readonly beta2: number;
  /** Adaptivity floor added to sqrt(v); also the initial v is tau^2 (Reddi et al. 2021). */
  readonly tau: number;
  /** FedProx proximal coefficient for local training; 0 for other strategies. */
  readonly proximalMu: number;
}

/**
 * Validates and normalises a strategy config. Every problem is reported at once as
 * `strategy.path: message` in one `invalid_config` error.
 */
export function parseStrategyConfig(input: unknown): StrategyConfig {
  const result = strategyConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = zodProblems(result.error, 'strategy');
    throw new HeflError('invalid_config', problems.join('; '), { cause: result.error });
  }
  const c = result.data;
  return Object.freeze({
    name: c.name,
    serverLearningRate: c.serverLearningRate ?? DEFAULT_ETA[c.name],
    beta1: c.beta1 ?? 0.9,
    beta2: c.beta2 ?? 0.99,
    tau: c.tau ?? 1e-3,
    proximalMu: c.name === 'fedprox' ? (c.proximalMu ?? 0.01) : 0,
  });
}
