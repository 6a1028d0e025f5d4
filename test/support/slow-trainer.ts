import type { Trainer } from '../../client-node/training/index.js';

/** A trainer whose training takes `delayMs` longer: a slow site, or rounds that take time as real training does. */
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
