import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { HeflError } from '../../common/errors/index.js';
import { LOCAL_STATUS_FILE, type MemberView } from '../../coordinator/index.js';
import { positiveInteger } from '../cli-options.js';

interface ViewOptions {
  dir: string;
  metricsPort?: number;
  json?: boolean;
}

/**
 * `hefl federation members` and `hefl coordinator status`: what a running coordinator sees,
 * read from its local status port (`hefl coordinator start --metrics-port`, 127.0.0.1
 * only). The port is found in the coordinator folder (`local-status.json`, written while
 * it runs) unless `--metrics-port` names it.
 */
export function registerFederationMembersCommand(federation: Command): void {
  withViewOptions(
    federation
      .command('members')
      .description('list members: role, key id, admitted at, certificate expiry, connected now, last seen'),
  ).action(async (opts: ViewOptions) => {
    const { members } = (await fetchView(opts, '/members')) as { members: MemberView[] };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ members })}\n`);
      return;
    }
    const rows = members.map((m) => [
      m.id,
      m.revoked ? `${m.role} (revoked)` : m.role,
      m.keyId.slice(0, 16),
      m.admittedAt ?? '-',
      m.certificateExpires === null
        ? 'not seen'
        : `${m.certificateExpires}${m.certificateExpiresSoon ? ' RENEW SOON' : ''}`,
      m.role === 'site' ? (m.connected ? 'yes' : 'no') : '-',
      m.lastSeen ?? 'not since start',
    ]);
    process.stdout.write(
      table(
        ['member', 'role', 'key id', 'admitted at', 'certificate expires', 'connected', 'last seen'],
        rows,
      ),
    );
  });
}

export function registerCoordinatorStatusCommand(coordinator: Command): void {
  withViewOptions(
    coordinator.command('status').description('the running coordinator: connected sites, jobs, refusals'),
  ).action(async (opts: ViewOptions) => {
    const status = (await fetchView(opts, '/status')) as {
      startedAt: string;
      connectedSites: string[];
      jobs: {
        jobId: string;
        state: string;
        round: number;
        rounds: number;
        awaitingApproval: string[];
        reason?: string;
      }[];
      refusals: Record<string, number>;
      expiringCertificates?: { member: string; expires: string; daysLeft: number }[];
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(status)}\n`);
      return;
    }
    const refusals = Object.entries(status.refusals);
    const lines = [
      `coordinator up since ${status.startedAt}`,
      `connected sites (${status.connectedSites.length}): ${status.connectedSites.join(', ') || 'none'}`,
      `jobs: ${status.jobs.length === 0 ? 'none' : ''}`,
      ...status.jobs.map(
        (j) =>
          `  ${j.jobId}  ${j.state}  round ${j.round} of ${j.rounds}` +
          (j.awaitingApproval.length > 0
            ? `  waiting for approval at ${j.awaitingApproval.join(', ')}`
            : '') +
          (j.reason ? `  (${j.reason.slice(0, 200)})` : ''),
      ),
      `refusals since start: ${refusals.length === 0 ? 'none' : refusals.map(([r, n]) => `${r} ${n}`).join(', ')}`,
      ...(status.expiringCertificates ?? []).map(
        (c) =>
          `warning: ${c.member}'s certificate ${c.daysLeft < 0 ? 'expired' : 'expires'} ${c.expires} (${c.daysLeft} days): renew it (hefl site renew, hefl federation renew ${c.member})`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

function withViewOptions(command: Command): Command {
  return command
    .requiredOption('--dir <dir>', 'the coordinator folder')
    .option(
      '--metrics-port <port>',
      'the local status port (default: from the folder while it runs)',
      positiveInteger('--metrics-port', 65_535),
    )
    .option('--json', 'print one JSON document on stdout');
}

async function fetchView(opts: ViewOptions, path: string): Promise<unknown> {
  const base = opts.metricsPort ? `http://127.0.0.1:${opts.metricsPort}` : await statusUrl(resolve(opts.dir));
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new HeflError(
      'unavailable',
      `cannot reach the coordinator's status port at ${base}: is it running?`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok)
    throw new HeflError('unavailable', `the coordinator's status port answered ${response.status}`);
  return response.json();
}

async function statusUrl(dir: string): Promise<string> {
  const path = join(dir, LOCAL_STATUS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new HeflError(
      'unavailable',
      `no running coordinator with a status port in ${dir} (${path} is missing): ` +
        'start it with hefl coordinator start --metrics-port PORT, or name the port with --metrics-port',
    );
  }
  const url = (JSON.parse(text) as { url?: unknown }).url;
  if (typeof url !== 'string' || !url.startsWith('http://127.0.0.1:'))
    throw new HeflError('invalid_data', `${path} does not name a local status port`);
  return url;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
