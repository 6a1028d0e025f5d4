import type { Worker } from 'node:worker_threads';
import { HeflError } from '../../common/errors/index.js';
import { startModuleWorker } from '../../common/os/start-module-worker.js';
import type { EvaluationSums } from './evaluation-sums.js';
import type { BackendPreference, BackendSelection } from './select-backend.js';
import type { EvaluateInput, Trainer, TrainInput, TrainResult } from './trainer.js';
import type { TrainingWorkerData, WorkerRequest, WorkerResponse } from './training-worker-protocol.js';

interface Pending {
  resolve(value: TrainResult | EvaluationSums): void;
  reject(error: HeflError): void;
}

/**
 * Runs training and evaluation on one worker thread, one request at a time, so the site
 * node's event loop stays free. Each call copies its input arrays once into compact
 * buffers and transfers those to the worker (the caller keeps its own arrays for the next
 * round, and a subarray view never drags its whole parent buffer along); results are
 * transferred back without copying. If the worker dies, every pending and
 * later call rejects with HeflError 'internal'. The worker does not keep the process alive
 * while idle.
 */
export class WorkerTrainer implements Trainer {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: HeflError | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly backend: BackendSelection,
  ) {
    worker.on('message', (message: WorkerResponse) => this.settle(message));
    worker.on('error', (error) =>
      this.fail(new HeflError('internal', `training worker crashed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) =>
      this.fail(new HeflError('internal', `training worker exited with code ${code}`)),
    );
    worker.unref();
  }

  /**
   * Starts the worker and waits until it has selected its backend (reported in `backend`);
   * rejects, naming the backend, if `preference` cannot be initialised (see selectBackend).
   */
  static async create(preference: BackendPreference = 'auto'): Promise<WorkerTrainer> {
    const worker = startWorker(preference);
    const backend = await new Promise<BackendSelection>((resolve, reject) => {
      const onMessage = (message: WorkerResponse): void => {
        if (message.type !== 'ready') return;
        cleanup();
        resolve(message.backend);
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(
          new HeflError('internal', `training worker failed to start: ${error.message}`, { cause: error }),
        );
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new HeflError('internal', `training worker exited with code ${code} while starting`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    return new WorkerTrainer(worker, backend);
  }

  train(input: TrainInput): Promise<TrainResult> {
    const [x, y, globalWeights] = [input.x.slice(), input.y.slice(), input.globalWeights.slice()];
    const message: WorkerRequest = {
      type: 'train',
      id: this.nextId++,
      input: { ...input, x, y, globalWeights },
    };
    return this.request(message, [x, y, globalWeights]) as Promise<TrainResult>;
  }

  evaluate(input: EvaluateInput): Promise<EvaluationSums> {
    const [x, y, weights] = [input.x.slice(), input.y.slice(), input.weights.slice()];
    const message: WorkerRequest = {
      type: 'evaluate',
      id: this.nextId++,
      input: { ...input, x, y, weights },
    };
    return this.request(message, [x, y, weights]) as Promise<EvaluationSums>;
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) return;
    this.fail(new HeflError('failed_precondition', 'trainer is closed'));
    await this.worker.terminate();
  }

  /** `copies` are this call's own compact copies of the caller's arrays: moved, not cloned. */
  private request(message: WorkerRequest, copies: Float32Array[]): Promise<TrainResult | EvaluationSums> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.ref(); // keep the process alive while work is outstanding
      this.worker.postMessage(
        message,
        copies.map((copy) => copy.buffer as ArrayBuffer),
      );
    });
  }

  private settle(message: WorkerResponse): void {
    if (message.type !== 'result') return;
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new HeflError(message.error.code, message.error.message));
  }

  private fail(error: HeflError): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }
}

/** The training worker (`training-worker`, built or from source through tsx), sitting next to this file. */
function startWorker(preference: BackendPreference): Worker {
  const workerData: TrainingWorkerData = { backend: preference };
  return startModuleWorker(
    import.meta.url,
    'training-worker',
    workerData,
    'WorkerTrainer cannot start its worker from TypeScript source without tsx; run it from the build ' +
      '(npm run build, then dist/client-node/training/worker-trainer.js)',
  );
}
