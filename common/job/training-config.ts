import { z } from 'zod';
import { HeflError } from '../errors/index.js';
import { zodProblems } from '../validation/zod-problems.js';

/**
 * Local training settings a job carries. Either `epochs` or `steps` (mini-batch updates,
 * reshuffling after each full pass) may be set, not both; neither means one epoch.
 * `proximalMu` > 0 turns FedAvg into FedProx: the loss gains mu/2 * ||w - w_global||^2.
 * `seed` fixes the shuffling, so the same inputs give bit-identical weights.
 */
export const trainingConfigSchema = z
  .strictObject({
    epochs: z.number().int().min(1).max(10_000).optional(),
    steps: z.number().int().min(1).max(10_000_000).optional(),
    batchSize: z.number().int().min(1).max(1_000_000),
    learningRate: z.number().positive().max(100),
    optimizer: z.enum(['sgd', 'adam']),
    proximalMu: z.number().min(0).max(1e6).optional(),
    seed: z.number().int().min(0).max(0xffff_ffff),
  })
  .refine((config) => config.epochs === undefined || config.steps === undefined, {
    message: 'set epochs or steps, not both',
    path: ['steps'],
  });

export type TrainingConfig = Readonly<z.infer<typeof trainingConfigSchema>>;

/** Validates training settings; throws HeflError 'invalid_config' listing every problem. */
export function parseTrainingConfig(value: unknown): TrainingConfig {
  const result = trainingConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = zodProblems(result.error, 'config');
    throw new HeflError('invalid_config', `invalid training config: ${problems.join('; ')}`, {
      cause: result.error,
    });
  }
  return Object.freeze(result.data);
}
