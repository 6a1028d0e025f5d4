import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { createAdder } from '../common/he/create-adder.js';
import type { Clock } from '../common/time/clock.js';
import { ResearcherServiceService, SiteServiceService } from '../proto/gen/hefl/v1/services.js';
import type { AuditSink } from './audit-sink.js';
import type { BlobStore } from './blob-store.js';
import type { CoordinatorKeys } from './coordinator-keys.js';
import { JobRegistry, type RestoreCheck } from './job-registry.js';
import { type JobStore, MemoryJobStore } from './job-store.js';
import type { MemberDirectory } from './member-directory.js';
import { RequestGuard } from './request-guard.js';
import { createResearcherService } from './researcher-service.js';
import { createSiteService } from './site-service.js';
import { TaskHub } from './task-hub.js';

/** After a restart, sites get at least this long to reconnect before a round deadline fires. */
const RESTART_GRACE_MS = 20_000;

export interface CoordinatorServerDeps {
  readonly clock: Clock;
  readonly blobs: BlobStore;
  readonly audit: AuditSink;
  readonly members: MemberDirectory;
  readonly keys: CoordinatorKeys;
  /** Durable job state; jobs found in it are restored before the server accepts calls. */
  readonly store?: JobStore;
  /** Holds each stored job against the audit log before it is served again; a job that disagrees is refused. */
  readonly restoreCheck?: RestoreCheck;
  readonly credentials: ServerCredentials;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

export interface RunningCoordinator {
  readonly port: number;
  readonly jobs: JobRegistry;
  stop(): Promise<void>;
}

/** Wires the services and binds them on host:port (port 0 picks a free one). */
export async function startCoordinatorServer(
  deps: CoordinatorServerDeps,
  host: string,
  port: number,
): Promise<RunningCoordinator> {
  const hub = new TaskHub();
  const jobs = new JobRegistry(
    {
      clock: deps.clock,
      blobs: deps.blobs,
      audit: deps.audit,
      hub,
      members: deps.members,
      keys: deps.keys,
      store: deps.store ?? new MemoryJobStore(),
      log: deps.log,
    },
    createAdder,
  );
  const restored = await jobs.restore(RESTART_GRACE_MS, deps.restoreCheck);
  if (restored > 0) deps.log('jobs.restored', { unfinished: restored });
  const guard = new RequestGuard(deps.members, deps.audit);
  const server = new Server({
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
    'grpc.keepalive_time_ms': 30_000,
  });
  server.addService(
    SiteServiceService,
    createSiteService({
      guard,
      jobs,
      hub,
      members: deps.members,
      blobs: deps.blobs,
      clock: deps.clock,
      log: deps.log,
    }),
  );
  deps.members.onChange?.(() => {
    const manifest = deps.members.signedManifestJson?.();
    if (manifest)
      hub.broadcast({ kind: { $case: 'manifest', value: { signedManifestJson: Buffer.from(manifest) } } });
    deps.log('manifest.reloaded', {});
  });
  server.addService(
    ResearcherServiceService,
    createResearcherService({ guard, jobs, clock: deps.clock, members: deps.members }),
  );
  // The standard gRPC health-checking service (grpc.health.v1), for load balancers and monitoring.
  const health = new HealthImplementation({
    '': 'SERVING',
    'hefl.v1.SiteService': 'SERVING',
    'hefl.v1.ResearcherService': 'SERVING',
  });
  health.addToServer(server);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, deps.credentials, (error, actual) =>
      error ? reject(error) : resolve(actual),
    );
  });
  return {
    port: bound,
    jobs,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
