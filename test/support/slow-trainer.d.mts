import type { Trainer } from '../../client-node/training/index.js';

/** A trainer whose training takes `delayMs` longer: a slow site (see slow-trainer.mjs). */
export declare function slowTrainer(base: Trainer, delayMs: number): Trainer;
