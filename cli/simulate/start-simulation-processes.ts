import { HeflProcess } from './hefl-process.js';
import type { ProvisionedFederation } from './provision-federation.js';
import type { SimulationInput } from './simulation-input.js';
import type { SimulationOptions, SiteProcesses } from './simulation-options.js';
import { type SimulatedCoordinator, startSimulatedCoordinator } from './start-simulated-coordinator.js';

/** The running daemons of a simulation. */
export interface SimulationProcesses {
  /** host:port the coordinator listens on (127.0.0.1, a free port). */
  readonly address: string;
  readonly coordinator: SimulatedCoordinator;
  /** The site processes (`--isolation process`); absent when the sites run in this process. */
  readonly sites?: SiteProcesses;
  /** How many sites the coordinator saw connect. */
  readonly connected: number;
  /** Peak resident memory of the site side in bytes (sum over site processes, or this process), if known. */
  sitesPeakRss(): number | null;
}

/**
 * `--isolation process`: starts the coordinator daemon, then one site daemon per site on
 * its folder and data, and waits (up to `startupTimeoutMs` each) until every site has
 * started and connected. Every process started (restarts too) is pushed to `started`, so
 * the caller stops them all however this ends.
 */
export async function startSimulationProcesses(
  options: SimulationOptions,
  fed: ProvisionedFederation,
  data: SimulationInput,
  started: { stop(): Promise<void> }[],
  startupTimeoutMs: number,
): Promise<SimulationProcesses> {
  const coordinator = await startSimulatedCoordinator(fed, options.cliEntry, startupTimeoutMs, started);
  const { address } = coordinator;
  const siteProcesses = new Map<string, HeflProcess>();
  const startSiteProcess = (siteId: string) => {
    const site = data.sites.find((s) => s.id === siteId)!;
    const dir = fed.siteDirs.find((d) => d.id === site.id)!.dir;
    const p = new HeflProcess(
      site.id,
      [
        'site',
        'start',
        '--dir',
        dir,
        '--data',
        site.csv,
        '--coordinator',
        address,
        '--label',
        data.label,
        ...(data.input === 'csv' ? [] : ['--input', data.input, '--mapping', data.mapping!]),
        ...(options.backend ? ['--backend', options.backend] : []),
        ...(options.splitColumn ? ['--split-column', options.splitColumn] : []),
      ],
      options.siteEntry?.(site.id) ?? options.cliEntry,
    );
    started.push(p);
    siteProcesses.set(site.id, p);
    return p;
  };
  for (const site of data.sites) startSiteProcess(site.id);
  const sites: SiteProcesses = {
    processes: siteProcesses,
    async restart(siteId) {
      const p = startSiteProcess(siteId);
      await p.waitFor((l) => l.event === 'site.started', startupTimeoutMs, 'start-up');
      return p;
    },
  };
  await Promise.all(
    [...siteProcesses.values()].map((p) =>
      p.waitFor((l) => l.event === 'site.started', startupTimeoutMs, 'start-up'),
    ),
  );
  await coordinator.waitForConnected(data.sites.length, startupTimeoutMs);
  return {
    address,
    coordinator,
    sites,
    connected: coordinator.connected.size,
    sitesPeakRss() {
      let sum = 0;
      for (const p of siteProcesses.values()) {
        const peak = p.peakRss();
        if (peak === null) return null;
        sum += peak;
      }
      return sum;
    },
  };
}
