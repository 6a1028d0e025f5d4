import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../os/start-module-worker.js';
import type { VerifyWorkerConfig } from './audit-verify-protocol.js';

/** Starts one verify worker (`audit-verify-worker`, built or from source through tsx). */
export function startVerifyWorker(config: VerifyWorkerConfig): Worker {
  return startModuleWorker(
    import.meta.url,
    'audit-verify-worker',
    config,
    'the parallel audit verifier cannot start its workers from TypeScript source without tsx; run the build',
  );
}
