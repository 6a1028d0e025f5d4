import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModelRelease } from '../../cli/researcher/open-model-release.js';
import { ResearcherClient } from '../../cli/researcher/researcher-client.js';
import { HeflProcess, type LogLine } from '../../cli/simulate/hefl-process.js';
import { provisionFederation } from '../../cli/simulate/provision-federation.js';
import { generateSyntheticHospitals } from '../../client-node/data/index.js';
import { verifyAuditLog } from '../../common/audit/audit-log-verifier.js';
import { bytesEqual, fromHex } from '../../common/crypto/index.js';
import { channelCredentials, loadMemberIdentity } from '../../common/identity/index.js';
import { readAuditedJobs } from '../../coordinator/storage/audited-jobs.js';
import { checkStoredJob } from '../../coordinator/storage/check-stored-job.js';
import { SqliteJobStore } from '../../coordinator/storage/sqlite-job-store.js';
import { FAULTY_DAEMON, faultyDaemonArgs } from './daemon-faults.js';
import { syntheticJob } from './synthetic-job.js';

export const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const SITES = ['site-a', 'site-b', 'site-c'];

export interface CrashChainResult {
  readonly state: string;
  /** Hash of the released model's weights, as the researcher opened it. */
  readonly modelHash: string | undefined;
  /** The crash points that did kill the coordinator, in order. */
  readonly killed: string[];
  /** `hefl audit verify` on the coordinator log with every site log: the first fault, if any. */
  readonly auditFault: string | undefined;
  /** What the final state disagrees with in the audit log (checkStoredJob), per job. */
  readonly stateProblems: string[];
  /** Coordinator log lines saying a job was refused at a start. */
  readonly refusals: string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one 2-round HE job (4 coordinator rounds) with three site daemons and a coordinator
 * daemon that SIGKILLs itself right after the audit entry named by `crashPoints[i]` in its
 * i-th life (the test-only faulty daemon, see daemon-faults.ts and crash-after-audit.mjs);
 * each time it is restarted at once with the next point, and with none left, as `hefl`. Ends when every final-round site's model
 * release is in and the researcher can open the model.
 */
export async function runCrashChain(
  crashPoints: readonly string[],
  timeoutMs: number,
): Promise<CrashChainResult> {
  const root = mkdtempSync(join(tmpdir(), 'hefl-crash-chain-'));
  const processes: HeflProcess[] = [];
  const killed: string[] = [];
  const refusals: string[] = [];
  let researcher: ResearcherClient | undefined;
  try {
    const fed = await provisionFederation(root, SITES);
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let life = 0;
    const connected = new Set<string>();
    let listening: Promise<unknown>;
    const startCoordinator = () => {
      const point = crashPoints[life];
      life++;
      connected.clear();
      const args = ['coordinator', 'start', '--dir', fed.coordinatorDir, '--port', String(port)];
      const p = point
        ? new HeflProcess(
            'coordinator',
            faultyDaemonArgs({ coordinator: { crashAfterAudit: point } }, args),
            FAULTY_DAEMON,
          )
        : new HeflProcess('coordinator', args, CLI);
      processes.push(p);
      p.onLine((l: LogLine) => {
        if (l.event === 'job.refused') refusals.push(String(l.reason));
        if (l.event === 'site.connected') connected.add(String(l.site));
      });
      listening = p.waitFor((l) => l.event === 'coordinator.listening', 60_000, 'listening');
      listening.catch(() => {});
      // Restart at once whenever it dies by its own crash point.
      p.waitFor(() => false, timeoutMs, 'exit').catch(() => {
        if (done || !point) return;
        killed.push(point);
        startCoordinator();
      });
      return p;
    };
    let done = false;
    startCoordinator();
    await listening!;
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
    const identity = await loadMemberIdentity(fed.researcherDir);
    researcher = new ResearcherClient(address, channelCredentials(identity.tls), {
      signingSecretKey: identity.signingKey.secretKey,
      sealingPublicKey: identity.sealingKey.publicKey,
      sealingSecretKey: identity.sealingKey.secretKey,
    });
    const spec = syntheticJob({
      rounds: 2,
      minSites: 3,
      recruitSeconds: 20,
      roundDeadlineSeconds: 60,
      seed: 5,
    });
    const until = Date.now() + timeoutMs;
    let jobId: string | undefined;
    while (!jobId) {
      // Offered to every site (recruiting ends once every site it was offered to answered).
      while (connected.size < SITES.length) {
        if (Date.now() > until) throw new Error('the sites did not connect');
        await sleep(200);
      }
      // A submission whose reply the crash lost never ran (see README): submit it again.
      jobId = await researcher.submit(spec).then(
        (r) => r.jobId,
        () => undefined,
      );
      if (!jobId) await sleep(500);
      if (Date.now() > until) throw new Error('the job could not be submitted');
    }
    const siteKeys = identity.manifest.members
      .filter((m) => m.role === 'site')
      .map((m) => ({ id: m.id, key: fromHex(m.signingPublicKey) }));
    const siteIdOf = (pk: Uint8Array) => siteKeys.find((s) => bytesEqual(s.key, pk))?.id;
    let state = '';
    let hash: string | undefined;
    for (;;) {
      if (Date.now() > until)
        throw new Error(
          `job ${jobId} did not end with a fetchable model (state ${state}); killed after ${killed.join(', ')}`,
        );
      const status = await researcher.status(jobId).catch(() => undefined);
      state = status?.state ?? state;
      if (state === 'failed' || state === 'cancelled') break;
      if (state === 'completed' && killed.length >= crashPoints.length) {
        const reply = await researcher.fetchModel(jobId).catch(() => undefined);
        if (reply && reply.pending.length === 0) {
          const model = openModelRelease(reply, identity.sealingKey.secretKey, siteIdOf);
          hash = model.card.modelHash;
          break;
        }
      }
      await sleep(300);
    }
    done = true;
    researcher.close();
    researcher = undefined;
    await Promise.all(processes.map((p) => p.stop()));
    const auditPath = join(fed.coordinatorDir, 'audit.jsonl');
    const verification = await verifyAuditLog(auditPath, {
      trustedSigner: fromHex(identity.manifest.coordinator.signingPublicKey),
      siteLogs: fed.siteDirs.map((s) => join(s.dir, 'audit.jsonl')),
    });
    const audited = await readAuditedJobs(auditPath);
    const store = new SqliteJobStore(join(fed.coordinatorDir, 'state.sqlite'));
    const stateProblems = store.loadAll().flatMap((graph) =>
      checkStoredJob(graph, audited.get(graph.job.id), {
        coordinator: fromHex(identity.manifest.coordinator.signingPublicKey),
        memberKey: (id) => siteKeys.find((s) => s.id === id)?.key,
      }).problems.map((p) => `${graph.job.id}: ${p}`),
    );
    store.close();
    return {
      state,
      modelHash: hash,
      killed,
      auditFault: verification.ok
        ? undefined
        : `${verification.firstBad.reason} (seq ${verification.firstBad.seq})`,
      stateProblems,
      refusals,
    };
  } finally {
    researcher?.close();
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(root, { recursive: true, force: true });
  }
}
