import { HeflError } from '../../common/errors/index.js';
import { evaluateModel } from './evaluate-model.js';
import type { EvaluationSums } from './evaluation-sums.js';
import { trainLocally } from './local-trainer.js';
import { type BackendSelection, selectBackend } from './select-backend.js';
import type { EvaluateInput, Trainer, TrainInput, TrainResult } from './trainer.js';

/** Trains on the calling thread (it blocks the event loop while training): for tests and tools. */
export class InProcessTrainer implements Trainer {
  private closed = false;

  private constructor(readonly backend: BackendSelection) {}

  static async create(): Promise<InProcessTrainer> {
    return new InProcessTrainer(await selectBackend());
  }

  async train(input: TrainInput): Promise<TrainResult> {
    this.assertOpen();
    return trainLocally(input);
  }

  async evaluate(input: EvaluateInput): Promise<EvaluationSums> {
    this.assertOpen();
    return evaluateModel(input);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new HeflError('failed_precondition', 'trainer is closed');
  }
}
