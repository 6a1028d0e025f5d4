import type { Trainer } from '../../client-node/training/index.js';

/**
 * A trainer whose training takes `delayMs` longer: a slow site. Tests use it for
 * stragglers (and for rounds that take time as real training does): in-process sites take
 * it directly, a site process through the test-only entry script `faulty-site.mjs`.
 */
export function slowTrainer(base: Trainer, delayMs: number): Trainer {
  return {
    backend: base.backend,
    train: async (input) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return base.train(input);
    },
    evaluate: (input) => base.evaluate(input),
    close: () => base.close(),
  };
}
