import { Worker } from 'node:worker_threads';
import { HeflError } from '../errors/index.js';
import type { VerifyWorkerConfig } from './audit-verify-protocol.js';

/**
 * Starts one verify worker: the built `.js` file, or (from TypeScript source, under tsx or
 * vitest) the `.ts` file loaded through tsx's API, as client-node's training worker does.
 */
export function startVerifyWorker(config: VerifyWorkerConfig): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./audit-verify-worker.js', here), { workerData: config });
  }
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch (error) {
    throw new HeflError(
      'failed_precondition',
      'the parallel audit verifier cannot start its workers from TypeScript source without tsx; run the build',
      { cause: error },
    );
  }
  const entry = new URL('./audit-verify-worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}));`;
  return new Worker(bootstrap, { eval: true, workerData: config });
}
