import type { EvaluationInput } from './evaluate-model.js';
import type { EvaluationSums } from './evaluation-sums.js';
import type { LocalTrainingInput, LocalTrainingResult } from './local-trainer.js';
import type { BackendSelection } from './select-backend.js';

export type TrainInput = LocalTrainingInput;
export type TrainResult = LocalTrainingResult;
export type EvaluateInput = EvaluationInput;

/**
 * What a site node uses to train and evaluate; only Float32Arrays and plain numbers cross
 * this boundary, never tensors. `WorkerTrainer` runs the maths on a worker thread so the
 * node keeps answering gRPC while it trains; `InProcessTrainer` calls directly (unit tests).
 * Failures reject with HeflError: 'invalid_argument' for bad input, 'failed_precondition'
 * after `close()`, 'internal' when the worker died.
 */
export interface Trainer {
  /** The tfjs backend doing the maths, chosen once at start-up; the caller logs it. */
  readonly backend: BackendSelection;
  train(input: TrainInput): Promise<TrainResult>;
  evaluate(input: EvaluateInput): Promise<EvaluationSums>;
  /** Frees the worker (if any). Idempotent; later calls to train/evaluate reject. */
  close(): Promise<void>;
}
