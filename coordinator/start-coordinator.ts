import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { COORDINATOR_FILES, loadCoordinatorIdentity, serverCredentials } from '../common/identity/index.js';
import { writePublicFile } from '../common/identity/key-files.js';
import type { EventLog } from '../common/log/event-log.js';
import { ensureStateVersion } from '../common/state/state-version.js';
import { systemClock } from '../common/time/clock.js';
import type { ScriptCorrectionRequests } from './job/mask-correction-phase.js';
import type { HoldAggregation } from './job/round-aggregation.js';
import { ManifestMemberDirectory } from './members/manifest-member-directory.js';
import { LOCAL_STATUS_FILE } from './observe/local-status-file.js';
import type { AuditSink } from './storage/audit-sink.js';
import { readAuditedJobs } from './storage/audited-jobs.js';
import { FileBlobStore } from './storage/blob-store.js';
import { checkStoredJob } from './storage/check-stored-job.js';
import { FederationChangeRecorder } from './storage/federation-change-recorder.js';
import { FileAuditSink } from './storage/file-audit-sink.js';
import { SqliteJobStore } from './storage/sqlite-job-store.js';
import { type RunningCoordinator, startCoordinatorServer } from './transport/coordinator-server.js';

export interface CoordinatorOptions {
  /** The coordinator's folder, as made by `hefl federation init`. */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly log: EventLog;
  /** Warn-level operator log (e.g. a member's certificate expires within 30 days); defaults to `log`. */
  readonly warn?: EventLog;
  /** Faults a test injects (test/support/faulty-daemon.mjs); `hefl coordinator start` sets none. */
  readonly faults?: CoordinatorFaults;
  /** The local operator port on 127.0.0.1 (metrics, health, members, status); 0 = any free; absent = none. */
  readonly metricsPort?: number;
}

/**
 * Test-only fault injection, set by tests that need a real coordinator process to fail at a
 * chosen moment. Nothing in a deployment sets it, and no fault is read from the environment.
 */
export interface CoordinatorFaults {
  /** Holds each round in 'aggregating' before anything is written (see HoldAggregation). */
  readonly holdAggregation?: HoldAggregation;
  /** Wraps the durable audit log, e.g. to SIGKILL the process right after a chosen entry. */
  readonly wrapAudit?: (audit: AuditSink) => AuditSink;
  /** Scripts the mask-correction requests, signed with the real key (see ScriptCorrectionRequests). */
  readonly scriptCorrectionRequests?: ScriptCorrectionRequests;
}

/**
 * Composition root of the coordinator daemon: loads its identity (refusing key files
 * others can read), the signed manifest, mutual-TLS credentials, the blob store and the
 * audit log, then serves. The coordinator holds no HE key of any kind.
 */
export async function startCoordinator(
  options: CoordinatorOptions,
): Promise<RunningCoordinator & { readonly statusPort?: number }> {
  // A folder written by a newer hefl is refused before anything in it is read.
  await ensureStateVersion(options.dir);
  const identity = await loadCoordinatorIdentity(options.dir);
  const members = new ManifestMemberDirectory(
    join(options.dir, COORDINATOR_FILES.manifest),
    identity.signingKey.publicKey,
    (message) => options.log('manifest.reload-failed', { error: message }),
  );
  const auditPath = join(options.dir, 'audit.jsonl');
  const writer = AuditLogWriter.open(auditPath, identity.signingKey, systemClock);
  // What the log says about each job, read before anything is appended: the stored state
  // is checked against it job by job at restore (see checkStoredJob).
  const audited = await readAuditedJobs(auditPath);
  const fileAudit = new FileAuditSink(writer, members);
  const audit = options.faults?.wrapAudit?.(fileAudit) ?? fileAudit;
  const federationChanges = new FederationChangeRecorder(options.dir, audit);
  federationChanges.record(members.members());
  members.onChange(() => federationChanges.record(members.members()));
  const store = new SqliteJobStore(join(options.dir, 'state.sqlite'));
  const running = await startCoordinatorServer(
    {
      clock: systemClock,
      ...(options.warn ? { warn: options.warn } : {}),
      blobs: await FileBlobStore.open(join(options.dir, 'blobs')),
      audit,
      members,
      store,
      restoreCheck: (graph) =>
        checkStoredJob(graph, audited.get(graph.job.id), {
          coordinator: identity.signingKey.publicKey,
          memberKey: (id) => members.byId(id)?.signingPublicKey,
        }),
      keys: {
        signingPublicKey: identity.signingKey.publicKey,
        signingSecretKey: identity.signingKey.secretKey,
      },
      credentials: serverCredentials(identity.tls),
      log: options.log,
      ...(options.faults?.holdAggregation ? { holdAggregation: options.faults.holdAggregation } : {}),
      ...(options.faults?.scriptCorrectionRequests
        ? { scriptCorrectionRequests: options.faults.scriptCorrectionRequests }
        : {}),
    },
    options.host,
    options.port,
  );
  const status =
    options.metricsPort === undefined
      ? undefined
      : // Loaded only when asked for: prom-client stays out of every other command's start.
        await (await import('./observe/local-status-server.js'))
          .startLocalStatusServer({ ...running, members: () => members.members() }, options.metricsPort)
          .catch(async (error: unknown) => {
            await running.stop();
            throw error;
          });
  const statusFile = join(options.dir, LOCAL_STATUS_FILE);
  if (status) {
    await writePublicFile(
      statusFile,
      `${JSON.stringify({ url: `http://127.0.0.1:${status.port}`, pid: process.pid })}\n`,
      { overwrite: true },
    );
  }
  return {
    ...running,
    ...(status ? { statusPort: status.port } : {}),
    async stop() {
      if (status) {
        await status.stop();
        rmSync(statusFile, { force: true });
      }
      await running.stop();
      members.close();
      store.close();
      writer.close();
    },
  };
}
