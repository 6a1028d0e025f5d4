import { Worker } from 'node:worker_threads';
import { HeflError } from '../errors/index.js';

/**
 * Starts the worker module `name` that sits next to the calling module (`here`, its
 * `import.meta.url`): the compiled `name.js` in dist/, or, running from TypeScript source
 * (vitest, tsx), `name.ts` loaded through tsx's `tsImport`. (`execArgv: ['--import', 'tsx']`
 * is not enough: on Node 20 the loader hooks it registers do not apply to the worker's entry
 * module.) Without tsx from source: `failed_precondition` with `withoutTsx` as the message.
 */
export function startModuleWorker(
  here: string,
  name: string,
  workerData: unknown,
  withoutTsx: string,
): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), { workerData });
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch (error) {
    throw new HeflError('failed_precondition', withoutTsx, { cause: error });
  }
  const entry = new URL(`./${name}.ts`, here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}));`;
  return new Worker(bootstrap, { eval: true, workerData });
}
