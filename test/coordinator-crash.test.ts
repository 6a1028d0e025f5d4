import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJobOutcome } from '../cli/researcher/job-outcome.js';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { HeflProcess, type LogLine } from '../cli/simulate/hefl-process.js';
import { provisionFederation } from '../cli/simulate/provision-federation.js';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { bytesEqual, fromHex } from '../common/crypto/index.js';
import { channelCredentials, loadMemberIdentity } from '../common/identity/index.js';
import { type DaemonFaults, FAULTY_DAEMON, faultyDaemonArgs } from './support/daemon-faults.js';
import { syntheticJob } from './support/synthetic-job.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const SITES = ['site-a', 'site-b', 'site-c'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Runs one 4-round HE job on a fresh federation; with `crash`, SIGKILLs the coordinator twice. */
async function runJob(
  crash: boolean,
): Promise<{ state: string; modelHash: string | undefined; restarts: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-crash-'));
  const processes: HeflProcess[] = [];
  const restarts: string[] = [];
  try {
    const fed = await provisionFederation(root, SITES);
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const startCoordinator = (faults?: DaemonFaults) => {
      const args = ['coordinator', 'start', '--dir', fed.coordinatorDir, '--port', String(port)];
      const p = faults
        ? new HeflProcess('coordinator', faultyDaemonArgs(faults, args), FAULTY_DAEMON)
        : new HeflProcess('coordinator', args, CLI);
      processes.push(p);
      return p;
    };
    let coordinator = startCoordinator();
    await coordinator.waitFor((l) => l.event === 'coordinator.listening', 60_000, 'listening');
    generateSyntheticHospitals({ sites: 3, seed: 11 }).forEach((site, i) => {
      const csv = join(root, `${SITES[i]}.csv`);
      writeFileSync(csv, site.csv);
      const dir = fed.siteDirs.find((d) => d.id === SITES[i])!.dir;
      processes.push(
        new HeflProcess(
          SITES[i]!,
          ['site', 'start', '--dir', dir, '--data', csv, '--coordinator', address],
          CLI,
        ),
      );
    });
    const connected = new Set<string>();
    const track = (p: HeflProcess) =>
      p.onLine((l: LogLine) => l.event === 'site.connected' && connected.add(l.site as string));
    track(coordinator);
    await coordinator.waitFor(() => connected.size === 3, 120_000, 'three sites connected');

    const identity = await loadMemberIdentity(fed.researcherDir);
    const researcher = new ResearcherClient(address, channelCredentials(identity.tls), {
      signingSecretKey: identity.signingKey.secretKey,
      sealingPublicKey: identity.sealingKey.publicKey,
      sealingSecretKey: identity.sealingKey.secretKey,
    });
    const spec = syntheticJob({
      rounds: 4,
      minSites: 3,
      recruitSeconds: 20,
      roundDeadlineSeconds: 60,
      seed: 5,
    });
    const { jobId } = await researcher.submit(spec);

    if (crash) {
      // 1. mid-upload: as soon as the first round-2 update is accepted, before the others
      await coordinator.waitFor(
        (l) => l.event === 'update.accepted' && l.round === 2,
        90_000,
        'a round-2 update',
      );
      await coordinator.kill();
      restarts.push('killed mid-upload (round 2)');
      coordinator = startCoordinator({ coordinator: { aggregationDelayMs: 4000 } });
      track(coordinator);
      // 2. mid-aggregation: while round 3's sum is being written
      await coordinator.waitFor(
        (l) => l.event === 'round.aggregating' && l.round === 3,
        120_000,
        'round-3 aggregation',
      );
      await coordinator.kill();
      restarts.push('killed mid-aggregation (round 3)');
      coordinator = startCoordinator();
      await coordinator.waitFor((l) => l.event === 'coordinator.listening', 30_000, 'listening again');
    }

    const until = Date.now() + 150_000;
    for (;;) {
      const status = await researcher.status(jobId).catch(() => undefined);
      if (status && ['completed', 'failed', 'cancelled'].includes(status.state)) {
        const sites = identity.manifest.members
          .filter((m) => m.role === 'site')
          .map((m) => fromHex(m.signingPublicKey));
        const outcome = readJobOutcome(status, identity.sealingKey.secretKey, (pk) =>
          sites.some((k) => bytesEqual(k, pk)),
        );
        researcher.close();
        return { state: status.state, modelHash: outcome.at(-1)?.modelHash, restarts };
      }
      if (Date.now() > until) throw new Error(`job ${jobId} did not finish (state ${status?.state})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(root, { recursive: true, force: true });
  }
}

describe('a coordinator killed with SIGKILL mid-upload and mid-aggregation', () => {
  it('resumes at the same round with every accepted update, and ends with the same model as an uninterrupted run', async () => {
    const reference = await runJob(false);
    const crashed = await runJob(true);
    expect(reference.state).toBe('completed');
    expect(crashed.restarts).toHaveLength(2);
    expect(crashed.state).toBe('completed');
    expect(crashed.modelHash).toBeDefined();
    expect(crashed.modelHash).toBe(reference.modelHash);
  }, 400_000);
});
