import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProvisionedFederation, provisionFederation } from '../../cli/simulate/provision-federation.js';
import { loadMemberIdentity, type MemberIdentity } from '../../common/identity/index.js';
import { type CoordinatorFaults, startCoordinator } from '../../coordinator/start-coordinator.js';
import type { RunningCoordinator } from '../../coordinator/transport/coordinator-server.js';

export interface LogLine {
  readonly event: string;
  readonly fields: Record<string, unknown>;
}

/**
 * A federation provisioned exactly as a real one (`federation init`, enrolment on each
 * member's "machine", admission, installation) with the production coordinator
 * (`startCoordinator`: mutual TLS, manifest re-read on change, audit log on disk)
 * listening on 127.0.0.1:0 in this process.
 */
export interface TlsFederation {
  readonly root: string;
  readonly provisioned: ProvisionedFederation;
  readonly coordinator: RunningCoordinator;
  /** `127.0.0.1:<port>` of the coordinator. */
  readonly address: string;
  /** Every event the coordinator logged, in order. */
  readonly logs: LogLine[];
  /** The identity a member loads from its own folder (site ids, or `researcher`). */
  member(id: string): Promise<MemberIdentity>;
  memberDir(id: string): string;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<void>;
}

export async function startTlsFederation(
  siteIds: readonly string[],
  /** Test-only coordinator faults (e.g. a scripted malicious coordinator). */
  faults?: CoordinatorFaults,
): Promise<TlsFederation> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-tls-'));
  const provisioned = await provisionFederation(root, siteIds);
  const logs: LogLine[] = [];
  const coordinator = await startCoordinator({
    dir: provisioned.coordinatorDir,
    host: '127.0.0.1',
    port: 0,
    log: (event, fields) => logs.push({ event, fields }),
    ...(faults ? { faults } : {}),
  });
  const memberDir = (id: string) => {
    if (id === 'researcher') return provisioned.researcherDir;
    const site = provisioned.siteDirs.find((s) => s.id === id);
    if (!site) throw new Error(`no member ${id} in this test federation`);
    return site.dir;
  };
  const identities = new Map<string, Promise<MemberIdentity>>();
  return {
    root,
    provisioned,
    coordinator,
    address: `127.0.0.1:${coordinator.port}`,
    logs,
    memberDir,
    member(id) {
      let identity = identities.get(id);
      if (!identity) {
        identity = loadMemberIdentity(memberDir(id));
        identities.set(id, identity);
      }
      return identity;
    },
    waitForLog: (predicate, timeoutMs = 10_000) =>
      waitUntil(() => logs.find(predicate), timeoutMs, 'coordinator log line'),
    async stop() {
      await coordinator.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` every 20 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
