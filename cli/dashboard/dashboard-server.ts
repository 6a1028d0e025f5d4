import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DASHBOARD_CSS, DASHBOARD_JS, dashboardPage } from './dashboard-page.js';
import type { DashboardState } from './dashboard-state.js';

/** What the server shows; the command wires the folder's logs and researcher session in. */
export interface DashboardDeps {
  readonly folder: string;
  readonly intervalMs: number;
  /** The audit report page (verified on each change of the logs). */
  auditHtml(): Promise<string>;
  state(): Promise<DashboardState>;
}

export interface RunningDashboard {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src 'self'; img-src 'self' data:";

/**
 * A local HTTP server for the dashboard, bound to `host` (127.0.0.1 by default: it shows the
 * federation's audit and jobs to whoever can reach it). Requests whose Host header is not this
 * machine's loopback name are refused (DNS rebinding). GET only; every asset is served here.
 */
export async function startDashboardServer(
  deps: DashboardDeps,
  host = '127.0.0.1',
  port = 0,
): Promise<RunningDashboard> {
  const server = createServer((req, res) => {
    handle(req, res, deps, (server.address() as AddressInfo).port).catch((error: unknown) => {
      send(
        res,
        500,
        'text/plain',
        `dashboard error: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://${host}:${bound}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: DashboardDeps, port: number) {
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!allowed.includes(req.headers.host ?? '')) return send(res, 403, 'text/plain', 'not a local request');
  if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only');
  const path = new URL(req.url ?? '/', `http://${req.headers.host}`).pathname;
  if (path === '/') {
    return send(res, 200, 'text/html; charset=utf-8', dashboardPage(deps.folder, deps.intervalMs), PAGE_CSP);
  }
  if (path === '/dashboard.js') return send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS);
  if (path === '/dashboard.css') return send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS);
  if (path === '/audit') return send(res, 200, 'text/html; charset=utf-8', await deps.auditHtml());
  if (path === '/api/state') return send(res, 200, 'application/json', JSON.stringify(await deps.state()));
  if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
  return send(res, 404, 'text/plain', 'not found');
}

function send(res: ServerResponse, status: number, type: string, body: string, csp?: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(csp ? { 'content-security-policy': csp } : {}),
  });
  res.end(body);
}
