import { type RunningSite, startSite } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import { holdFolderLock } from '../daemon/hold-folder-lock.js';
import { dataLocation } from '../data-location.js';
import { siteDataPreflight } from '../site-data-preflight.js';
import { peakRss } from './peak-rss.js';
import type { ProvisionedFederation } from './provision-federation.js';
import { SharedTrainerPool } from './shared-trainer-pool.js';
import type { SimulationInput } from './simulation-input.js';
import type { SimulationOptions } from './simulation-options.js';
import { startSimulatedCoordinator } from './start-simulated-coordinator.js';
import type { SimulationProcesses } from './start-simulation-processes.js';

/**
 * `--isolation in-process`: the coordinator daemon as a child process (as in production),
 * and every site node in this process, started by the same composition root as
 * `hefl site start` (`startSite`): each with its own folder, keys, TLS identity, policy,
 * budget, data, audit log and gRPC connection to the coordinator over mutual TLS on
 * 127.0.0.1. What they share is what a process loads once: node-seal, and TensorFlow.js
 * in `trainingWorkers` worker threads (SharedTrainerPool). Everything started is pushed to
 * `started`, so the caller stops it however this ends. Site lines go to stderr with
 * HEFL_TRACE_CHILDREN=1 (as a site process's would); error-level lines always.
 */
export async function startInProcessSites(
  options: SimulationOptions,
  fed: ProvisionedFederation,
  data: SimulationInput,
  started: { stop(): Promise<void> }[],
  startupTimeoutMs: number,
): Promise<SimulationProcesses> {
  const coordinator = await startSimulatedCoordinator(fed, options.cliEntry, startupTimeoutMs, started);
  const { address } = coordinator;
  const pool = await SharedTrainerPool.create(options.trainingWorkers ?? 1, options.backend);
  started.push({ stop: () => pool.close() });
  options.onProgress(
    `${data.sites.length} site nodes in this process, sharing ${pool.size} training worker thread(s) (TensorFlow.js backend ${pool.backend.name})`,
  );
  const trace = process.env.HEFL_TRACE_CHILDREN === '1';
  const linesOf = (site: string, always: boolean): EventLog => {
    if (!trace && !always) return () => {};
    return (event, fields) => process.stderr.write(`[${site}] ${JSON.stringify({ event, ...fields })}\n`);
  };
  const startOne = async (site: SimulationInput['sites'][number]): Promise<RunningSite> => {
    const dir = fed.siteDirs.find((d) => d.id === site.id)!.dir;
    const location = dataLocation({
      data: site.csv,
      input: data.input,
      ...(data.mapping ? { mapping: data.mapping } : {}),
    });
    // The fixed split reaches in-process sites exactly as `--split-column` reaches site processes.
    const split = options.splitColumn ? { splitColumn: options.splitColumn } : {};
    await siteDataPreflight(location, undefined, data.label, split).catch((cause: unknown) => {
      throw new HeflError('invalid_data', `${site.id}: ${(cause as Error).message}`, { cause });
    });
    // One site node per folder, as `hefl site start` holds it.
    const lock = holdFolderLock(dir);
    let running: RunningSite;
    try {
      running = await startSite({
        dir,
        coordinator: address,
        data: { ...location, label: data.label, ...split },
        log: linesOf(site.id, false),
        logWarn: linesOf(site.id, false),
        logError: linesOf(site.id, true),
        createTrainer: async () => pool.forSite(),
      });
    } catch (error) {
      lock.release();
      throw error;
    }
    started.push({
      async stop() {
        await running.stop();
        lock.release();
      },
    });
    void running.refused.then((r) =>
      options.onProgress(`${site.id} refused by the coordinator: ${r.reason}; ${r.whatToDo}`),
    );
    return running;
  };
  await withDeadline(
    Promise.all(data.sites.map(startOne)),
    startupTimeoutMs,
    `the ${data.sites.length} in-process sites did not start within ${startupTimeoutMs / 1000} s (raise --startup-timeout?)`,
  );
  await coordinator.waitForConnected(data.sites.length, startupTimeoutMs);
  return {
    address,
    coordinator,
    connected: coordinator.connected.size,
    sitesPeakRss: () => peakRss(process.pid),
  };
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HeflError('deadline_exceeded', message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
