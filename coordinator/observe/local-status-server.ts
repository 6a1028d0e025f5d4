import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { JobRegistry } from '../job/job-registry.js';
import type { Member } from '../members/member-directory.js';
import { coordinatorMetrics } from './coordinator-metrics.js';
import type { CoordinatorObserver } from './coordinator-observer.js';

/** What the local status port reads: the running coordinator and the members it admits. */
export interface StatusSource {
  readonly jobs: Pick<JobRegistry, 'all'>;
  readonly observer: CoordinatorObserver;
  connectedSites(): string[];
  /** Every member of the manifest, revoked ones included (flagged). */
  members(): readonly Member[];
}

/** One row of `hefl federation members`. */
export interface MemberView {
  readonly id: string;
  readonly role: string;
  readonly keyId: string;
  readonly admittedAt: string | null;
  readonly revoked: boolean;
  /** Expiry of the TLS client certificate the member last presented (ISO 8601), null: not seen since start. */
  readonly certificateExpires: string | null;
  /** The certificate expires within CERTIFICATE_WARNING_DAYS (30): renew it. */
  readonly certificateExpiresSoon: boolean;
  /** Sites: an open task stream now. Researchers and auditors call in and never stay connected. */
  readonly connected: boolean;
  readonly lastSeen: string | null;
}

export interface RunningStatusServer {
  readonly port: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * The coordinator's local operator port, bound to 127.0.0.1 only and without TLS (who can
 * reach it is already on the machine; it shows ids, counts and times, never keys or job
 * content): `GET /metrics` (Prometheus text), `GET /healthz` (no client certificate
 * needed, unlike the gRPC health service), `GET /members` and `GET /status` (JSON, for
 * `hefl federation members` and `hefl coordinator status`). Read-only: nothing here changes state.
 */
export async function startLocalStatusServer(
  source: StatusSource,
  port: number,
): Promise<RunningStatusServer> {
  const registry = coordinatorMetrics(
    {
      jobs: () => source.jobs.all(),
      connected: () => source.connectedSites(),
      sites: () =>
        source
          .members()
          .filter((m) => m.role === 'site' && !m.revoked)
          .map((m) => m.id),
    },
    source.observer,
  );
  const routes: Record<string, () => Promise<{ type: string; body: string }>> = {
    '/metrics': async () => ({ type: registry.contentType, body: await registry.metrics() }),
    '/healthz': async () => json({ status: 'SERVING' }),
    '/members': async () => json({ members: memberViews(source) }),
    '/status': async () => json(statusView(source)),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = routes[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (req.method !== 'GET' || !route) {
      res.writeHead(req.method !== 'GET' ? 405 : 404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    route().then(
      ({ type, body }) => res.writeHead(200, { 'content-type': type }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n'),
    );
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new HeflError(
              'unavailable',
              `port ${port} is already in use on ${HOST}; choose another --metrics-port`,
              {
                cause: error,
              },
            )
          : error,
      ),
    );
    server.listen(port, HOST, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
  return {
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(value: unknown): { type: string; body: string } {
  return { type: 'application/json', body: `${JSON.stringify(value)}\n` };
}

export function memberViews(source: StatusSource): MemberView[] {
  const connected = new Set(source.connectedSites());
  const expiring = new Set(source.observer.expiringCertificates().map((c) => c.member));
  return source.members().map((m) => {
    const activity = source.observer.activityOf(m.id);
    return {
      id: m.id,
      role: m.role,
      keyId: keyId(m.signingPublicKey),
      admittedAt: m.admittedAt ?? null,
      revoked: m.revoked,
      certificateExpires: iso(activity.certificateExpiresMs),
      certificateExpiresSoon: expiring.has(m.id),
      connected: connected.has(m.id),
      lastSeen: iso(activity.lastSeenMs),
    };
  });
}

function statusView(source: StatusSource) {
  const { observer } = source;
  return {
    startedAt: iso(observer.startedAtMs),
    connectedSites: source.connectedSites(),
    jobs: source.jobs.all().map((job) => ({
      jobId: job.id,
      state: job.state,
      round: job.currentRound?.round ?? 0,
      rounds: job.spec.rounds,
      accepted: [...job.accepted],
      awaitingApproval: job.isFinished() ? [] : [...job.awaitingApproval].sort(),
      ...(job.reason ? { reason: job.reason } : {}),
    })),
    refusals: Object.fromEntries(observer.refusals()),
    expiringCertificates: observer.expiringCertificates().map((c) => ({
      member: c.member,
      expires: iso(c.expiresMs),
      daysLeft: c.daysLeft,
    })),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
