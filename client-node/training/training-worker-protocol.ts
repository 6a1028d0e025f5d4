import type { ErrorCode } from '../../common/errors/index.js';
import type { EvaluationSums } from './evaluation-sums.js';
import type { BackendPreference, BackendSelection } from './select-backend.js';
import type { EvaluateInput, TrainInput, TrainResult } from './trainer.js';

/** Messages from WorkerTrainer to the training worker. */
export type WorkerRequest =
  | { readonly type: 'train'; readonly id: number; readonly input: TrainInput }
  | { readonly type: 'evaluate'; readonly id: number; readonly input: EvaluateInput };

/**
 * Messages from the training worker. `ready` comes once, first, after the backend is
 * selected; every request gets exactly one `result`. Errors travel as code + message
 * (HeflError's own fields; a stack never crosses).
 */
export type WorkerResponse =
  | { readonly type: 'ready'; readonly backend: BackendSelection }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly ok: true;
      readonly value: TrainResult | EvaluationSums;
    }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly code: ErrorCode; readonly message: string };
    };

/** What the worker is started with: the backend the site asked for (`hefl site start --backend`). */
export interface TrainingWorkerData {
  readonly backend: BackendPreference;
}
