import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { createAdder } from '../../common/he/create-adder.js';
import type { EventLog } from '../../common/log/event-log.js';
import type { Clock } from '../../common/time/clock.js';
import { ResearcherServiceService, SiteServiceService } from '../../proto/gen/hefl/v1/services.js';
import { JobRegistry, type RestoreCheck } from '../job/job-registry.js';
import type { ScriptCorrectionRequests } from '../job/mask-correction-phase.js';
import type { HoldAggregation } from '../job/round-aggregation.js';
import { TaskHub } from '../job/task-hub.js';
import type { CoordinatorKeys } from '../members/coordinator-keys.js';
import type { MemberDirectory } from '../members/member-directory.js';
import { NonceWindow } from '../members/nonce-window.js';
import { CoordinatorObserver } from '../observe/coordinator-observer.js';
import { observedAuditSink } from '../observe/observed-audit-sink.js';
import type { AuditSink } from '../storage/audit-sink.js';
import type { BlobStore } from '../storage/blob-store.js';
import { type JobStore, MemoryJobStore } from '../storage/job-store.js';
import { SiteHeadRecorder } from '../storage/site-head-recorder.js';
import { RequestGuard } from './request-guard.js';
import { createResearcherService } from './researcher-service.js';
import { createSiteService } from './site-service.js';
import { undecodableRequestInterceptor, withTolerantDecoding } from './undecodable-request.js';
import { type UploadLimitSettings, UploadLimits } from './upload-limits.js';

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
  readonly log: EventLog;
  /** Warn-level operator log; defaults to `log`. */
  readonly warn?: EventLog;
  /** Per-member upload limits and the idle timeout (default DEFAULT_UPLOAD_LIMITS). */
  readonly uploadLimits?: UploadLimitSettings;
  /** Tests only: holds each round in 'aggregating' (see HoldAggregation); absent in a deployment. */
  readonly holdAggregation?: HoldAggregation;
  /** Tests only: a scripted malicious coordinator (see ScriptCorrectionRequests); absent in a deployment. */
  readonly scriptCorrectionRequests?: ScriptCorrectionRequests;
}

/** Concurrent calls one connection may have open (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
export const MAX_CONCURRENT_CALLS = 16;
/** Largest single gRPC message accepted (a model release of a ~2M-parameter model fits). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export interface RunningCoordinator {
  readonly port: number;
  readonly jobs: JobRegistry;
  /** Who is connected, last seen, refusals, round durations: for the local status port. */
  readonly observer: CoordinatorObserver;
  /** Sites with an open task stream now. */
  connectedSites(): string[];
  stop(): Promise<void>;
}

/** Wires the services and binds them on host:port (port 0 picks a free one). */
export async function startCoordinatorServer(
  deps: CoordinatorServerDeps,
  host: string,
  port: number,
): Promise<RunningCoordinator> {
  const observer = new CoordinatorObserver(deps.clock, deps.log, deps.warn ?? deps.log);
  const hub = new TaskHub(observer);
  // Every entry once durable also reaches the observer (lifecycle lines, round durations).
  const audit = observedAuditSink(deps.audit, observer, (jobId, round) => {
    const record = jobs.all().find((j) => j.id === jobId)?.rounds[round];
    return record?.closedAt === undefined ? undefined : (record.closedAt - record.openedAt) / 1000;
  });
  const jobs = new JobRegistry(
    {
      clock: deps.clock,
      blobs: deps.blobs,
      audit,
      hub,
      members: deps.members,
      keys: deps.keys,
      store: deps.store ?? new MemoryJobStore(),
      log: deps.log,
      ...(deps.holdAggregation ? { holdAggregation: deps.holdAggregation } : {}),
      ...(deps.scriptCorrectionRequests ? { scriptCorrectionRequests: deps.scriptCorrectionRequests } : {}),
    },
    createAdder,
  );
  const restored = await jobs.restore(RESTART_GRACE_MS, deps.restoreCheck);
  if (restored > 0) deps.log('jobs.restored', { unfinished: restored });
  const guard = new RequestGuard(deps.members, audit, deps.clock, observer);
  const replays = new NonceWindow(deps.clock);
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    // Bounds the request bytes one connection can make the coordinator buffer.
    'grpc.max_concurrent_streams': MAX_CONCURRENT_CALLS,
    'grpc.keepalive_time_ms': 30_000,
    interceptors: [undecodableRequestInterceptor],
  });
  server.addService(
    withTolerantDecoding(SiteServiceService),
    createSiteService({
      guard,
      jobs,
      hub,
      members: deps.members,
      blobs: deps.blobs,
      clock: deps.clock,
      replays,
      log: deps.log,
      limits: new UploadLimits(deps.clock, deps.uploadLimits),
      siteHeads: new SiteHeadRecorder({ audit, clock: deps.clock }),
      audit,
    }),
  );
  deps.members.onChange?.(() => {
    // A site no longer admitted (revoked) loses its task stream now, gets no further offer,
    // and no job waits for its answer.
    for (const site of hub.closeWhere((siteId) => deps.members.byId(siteId) === undefined)) {
      deps.log('site.disconnected-revoked', { site });
    }
    jobs.onMembersChanged();
    const manifest = deps.members.signedManifestJson?.();
    if (manifest)
      hub.broadcast({ kind: { $case: 'manifest', value: { signedManifestJson: Buffer.from(manifest) } } });
    deps.log('manifest.reloaded', {});
  });
  server.addService(
    withTolerantDecoding(ResearcherServiceService),
    createResearcherService({ guard, jobs, replays, members: deps.members, audit }),
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
    observer,
    connectedSites: () => hub.connected(),
    stop: () =>
      new Promise<void>((resolve) => {
        guard.flushRefusals();
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
