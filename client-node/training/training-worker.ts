import { parentPort, type TransferListItem, workerData } from 'node:worker_threads';
import { HeflError } from '../../common/errors/index.js';
import { evaluateModel } from './evaluate-model.js';
import { trainLocally } from './local-trainer.js';
import { selectBackend } from './select-backend.js';
import type { TrainingWorkerData, WorkerRequest, WorkerResponse } from './training-worker-protocol.js';

/**
 * Entry point of the worker thread started by WorkerTrainer. Selects the backend, reports
 * it with `ready`, then serves requests one at a time (tfjs state is per thread). Results
 * move back without copying: their buffers are transferred.
 */
const port = parentPort;
if (port === null) throw new HeflError('internal', 'training-worker must run as a worker thread');

const { backend: preference } = (workerData ?? { backend: 'auto' }) as TrainingWorkerData;
let queue: Promise<void> = selectBackend(preference).then((backend) => post({ type: 'ready', backend }));

port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => serve(request));
});

async function serve(request: WorkerRequest): Promise<void> {
  try {
    if (request.type === 'train') {
      const value = await trainLocally(request.input);
      post({ type: 'result', id: request.id, ok: true, value }, [value.weights.buffer as ArrayBuffer]);
    } else {
      const value = evaluateModel(request.input);
      post({ type: 'result', id: request.id, ok: true, value }, [
        value.positiveHistogram.buffer as ArrayBuffer,
        value.negativeHistogram.buffer as ArrayBuffer,
      ]);
    }
  } catch (error) {
    const failure = HeflError.is(error)
      ? { code: error.code, message: error.message }
      : { code: 'internal' as const, message: `training worker failed: ${describe(error)}` };
    post({ type: 'result', id: request.id, ok: false, error: failure });
  }
}

function post(message: WorkerResponse, transfer: TransferListItem[] = []): void {
  port!.postMessage(message, transfer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
