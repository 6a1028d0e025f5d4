import { HeflError } from '../../common/errors/index.js';
import { HeflProcess } from './hefl-process.js';
import type { ProvisionedFederation } from './provision-federation.js';

/** The coordinator daemon of a simulation, a child process in both isolation modes. */
export interface SimulatedCoordinator {
  readonly process: HeflProcess;
  /** host:port it listens on (127.0.0.1, a free port). */
  readonly address: string;
  /** Sites whose task stream the coordinator attached (its `site.connected` lines). */
  readonly connected: ReadonlySet<string>;
  /**
   * Resolves once `count` sites are connected; rejects after `timeoutMs` (or if the
   * coordinator exits) naming how many came.
   */
  waitForConnected(count: number, timeoutMs: number): Promise<void>;
}

/**
 * Starts `hefl coordinator start` on the federation's coordinator folder (a free port on
 * 127.0.0.1) and waits until it listens. It is pushed to `started` before anything can
 * fail, so the caller stops it however this ends.
 */
export async function startSimulatedCoordinator(
  fed: ProvisionedFederation,
  cliEntry: string | undefined,
  startupTimeoutMs: number,
  started: { stop(): Promise<void> }[],
): Promise<SimulatedCoordinator> {
  const coordinator = new HeflProcess(
    'coordinator',
    ['coordinator', 'start', '--dir', fed.coordinatorDir, '--port', '0'],
    cliEntry,
  );
  started.push(coordinator);
  const connected = new Set<string>();
  coordinator.onLine((l) => {
    if (l.event === 'site.connected') connected.add(l.site as string);
  });
  const listening = await coordinator.waitFor(
    (l) => l.event === 'coordinator.listening',
    startupTimeoutMs,
    'listening',
  );
  return {
    process: coordinator,
    address: `127.0.0.1:${listening.port as number}`,
    connected,
    async waitForConnected(count, timeoutMs) {
      if (connected.size >= count) return;
      await coordinator
        .waitFor(() => connected.size >= count, timeoutMs, `all ${count} sites connected`)
        .catch((cause: unknown) => {
          if (connected.size < count)
            throw new HeflError(
              'deadline_exceeded',
              `${connected.size} of ${count} sites connected to the coordinator within ${timeoutMs / 1000} s (raise --startup-timeout?)`,
              { cause },
            );
        });
    },
  };
}
