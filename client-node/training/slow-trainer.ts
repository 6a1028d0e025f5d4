import type { Trainer } from './trainer.js';

/**
 * A trainer whose training takes `delayMs` longer: a slow site. Tests use it for
 * stragglers (and for rounds that take time as real training does); a site process
 * gets it only through the fault-injection variable HEFL_FAULT_TRAIN_DELAY_MS.
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
