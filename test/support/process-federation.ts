import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeflProcess } from '../../cli/simulate/hefl-process.js';
import { type ProvisionedFederation, provisionFederation } from '../../cli/simulate/provision-federation.js';
import { generateSyntheticHospitals } from '../../client-node/data/index.js';

/**
 * A federation of real `hefl` daemons from the built CLI: provisioned through the real
 * enrolment steps under `root`, the coordinator on 127.0.0.1:<free port>, one site
 * process per id on the built-in synthetic data (label `event`).
 */
export interface ProcessFederation {
  readonly provisioned: ProvisionedFederation;
  readonly coordinator: HeflProcess;
  /** `127.0.0.1:<port>` of the coordinator. */
  readonly address: string;
  /** Site processes by id (a restarted or late site replaces or adds its entry). */
  readonly sites: Map<string, HeflProcess>;
  /**
   * Starts a site daemon on `dir` with synthetic hospital number `index`; resolves once it
   * started. `entry`: Node arguments starting the site instead of the CLI (default: the
   * federation's `siteEntry`, else `cli`), e.g. `faultySiteCommand(...)`.
   */
  startSite(id: string, dir: string, index: number, entry?: readonly string[]): Promise<HeflProcess>;
  /** Waits until the coordinator has seen `ids` connect. */
  waitConnected(ids: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startProcessFederation(
  root: string,
  siteIds: readonly string[],
  options: {
    cli: string;
    seed?: number;
    hospitals?: number;
    /** Node arguments starting every site process instead of `cli` (e.g. `faultySiteCommand(...)`). */
    siteEntry?: readonly string[];
  },
): Promise<ProcessFederation> {
  const provisioned = await provisionFederation(root, siteIds);
  const processes: HeflProcess[] = [];
  const coordinator = new HeflProcess(
    'coordinator',
    ['coordinator', 'start', '--dir', provisioned.coordinatorDir, '--port', '0'],
    options.cli,
  );
  processes.push(coordinator);
  const connected = new Set<string>();
  coordinator.onLine((l) => {
    if (l.event === 'site.connected') connected.add(l.site as string);
  });
  const listening = await coordinator
    .waitFor((l) => l.event === 'coordinator.listening', 60_000, 'listening')
    .catch(async (error: unknown) => {
      await coordinator.stop();
      throw error;
    });
  const address = `127.0.0.1:${listening.port as number}`;
  const data = generateSyntheticHospitals({
    sites: options.hospitals ?? siteIds.length,
    seed: options.seed ?? 7,
  });
  const sites = new Map<string, HeflProcess>();
  const startSite = async (id: string, dir: string, index: number, entry?: readonly string[]) => {
    const csv = join(root, `${id}.csv`);
    writeFileSync(csv, data[index]!.csv);
    const site = new HeflProcess(
      id,
      ['site', 'start', '--dir', dir, '--data', csv, '--coordinator', address, '--label', 'event'],
      entry ?? options.siteEntry ?? options.cli,
    );
    processes.push(site);
    sites.set(id, site);
    await site.waitFor((l) => l.event === 'site.started', 60_000, 'start-up');
    return site;
  };
  try {
    await Promise.all(
      siteIds.map((id, i) => startSite(id, provisioned.siteDirs.find((s) => s.id === id)!.dir, i)),
    );
  } catch (error) {
    // The caller gets no federation to stop: stop what did start, so no daemon outlives the test.
    await Promise.all(processes.map((p) => p.stop()));
    throw error;
  }
  const federation: ProcessFederation = {
    provisioned,
    coordinator,
    address,
    sites,
    startSite,
    async waitConnected(ids) {
      if (ids.every((id) => connected.has(id))) return;
      await coordinator.waitFor(
        () => ids.every((id) => connected.has(id)),
        20_000,
        `${ids.join(', ')} connected`,
      );
    },
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
  await federation.waitConnected(siteIds).catch(async (error: unknown) => {
    await federation.stop();
    throw error;
  });
  return federation;
}
