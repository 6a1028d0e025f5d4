import { HeflProcess } from './hefl-process.js';
import type { ProvisionedFederation } from './provision-federation.js';
import type { SimulationInput } from './simulation-input.js';
import type { SimulationOptions, SiteProcesses } from './simulation-options.js';

/** The running daemons of a simulation. */
export interface SimulationProcesses {
  /** host:port the coordinator listens on (127.0.0.1, a free port). */
  readonly address: string;
  readonly sites: SiteProcesses;
  /** How many sites the coordinator saw connect. */
  readonly connected: number;
}

/**
 * Starts the coordinator daemon, then one site daemon per site on its folder and data, and
 * waits until every site has started and connected. Every process started (restarts too) is
 * pushed to `started`, so the caller stops them all however this ends.
 */
export async function startSimulationProcesses(
  options: SimulationOptions,
  fed: ProvisionedFederation,
  data: SimulationInput,
  started: HeflProcess[],
): Promise<SimulationProcesses> {
  const coordinator = new HeflProcess(
    'coordinator',
    ['coordinator', 'start', '--dir', fed.coordinatorDir, '--port', '0'],
    options.cliEntry,
  );
  started.push(coordinator);
  const listening = await coordinator.waitFor(
    (l) => l.event === 'coordinator.listening',
    30_000,
    'listening',
  );
  const address = `127.0.0.1:${listening.port as number}`;
  const connected = new Set<string>();
  coordinator.onLine((l) => {
    if (l.event === 'site.connected') connected.add(l.site as string);
  });
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
      await p.waitFor((l) => l.event === 'site.started', 60_000, 'start-up');
      return p;
    },
  };
  await Promise.all(
    [...siteProcesses.values()].map((p) => p.waitFor((l) => l.event === 'site.started', 60_000, 'start-up')),
  );
  await coordinator
    .waitFor(() => connected.size >= data.sites.length, 30_000, 'all sites connected')
    .catch((e) => {
      if (connected.size < data.sites.length) throw e;
      return {};
    });
  return { address, sites, connected: connected.size };
}
