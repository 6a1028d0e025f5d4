import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { waitUntil } from './support/tls-federation.js';

/*
 * Issue 4: "the README's 'Running a real federation' section walks hospital IT through
 * provisioning and starting a site on another machine; a test runs those same commands."
 * The commands are read from README.md itself, so the test breaks when the README and the
 * CLI drift apart. Only machine-specific values are substituted: folders go under a
 * temporary directory, the CSV is synthetic, and the coordinator listens on 127.0.0.1 at a
 * free port. Files that the README says are sent between machines are copied through an
 * "exchange" folder, the working directory of every command.
 */

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
/**
 * `scripts/check-packed-install.sh` sets this to the `hefl` that `npm install -g` put on a
 * fresh prefix, so the walkthrough runs against the packed tarball instead of this clone.
 */
const INSTALLED = process.env.HEFL_INSTALLED_BIN;
const hefl = (args: string[]): [string, string[]] =>
  INSTALLED ? [INSTALLED, args] : [process.execPath, [CLI, ...args]];
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const EXPECTED_COMMANDS = [
  'federation init',
  'site enroll',
  'federation admit',
  'site install-admission',
  'site start',
  'coordinator start',
];

/** The `hefl ...` commands of the README section, continuation lines joined, comments dropped. */
function readmeCommands(markdown: string): string[][] {
  const start = markdown.indexOf('## Running a real federation');
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('hefl '))
    .map((line) => {
      if (/["'`$|;&<>]/.test(line)) throw new Error(`README command needs a shell: ${line}`);
      return line.split(/\s+/).slice(1);
    });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(...hefl(args), { cwd, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Daemon {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string[];
}

function startDaemon(args: string[], cwd: string): Daemon {
  const child = spawn(...hefl(args), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const daemon: Daemon = { child, lines: [], stderr: [] };
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) {
      try {
        daemon.lines.push(JSON.parse(line));
      } catch {
        daemon.lines.push({ text: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => daemon.stderr.push(chunk.toString()));
  return daemon;
}

async function stopDaemon(daemon: Daemon | undefined): Promise<void> {
  if (!daemon || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => daemon.child.once('exit', () => resolve()));
  daemon.child.kill('SIGTERM');
  const timer = setTimeout(() => daemon.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

describe('README “Running a real federation”, run as written', () => {
  const root = mkdtempSync(join(tmpdir(), 'hefl-readme-'));
  const daemons: Daemon[] = [];

  afterAll(async () => {
    for (const daemon of daemons) await stopDaemon(daemon);
    rmSync(root, { recursive: true, force: true });
  });

  it('provisions a coordinator and a site, starts both, and the site connects over mutual TLS', async () => {
    const commands = readmeCommands(readFileSync(README, 'utf8'));
    expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(EXPECTED_COMMANDS);
    const exchange = join(root, 'exchange');
    mkdirSync(exchange);
    const csv = join(root, 'records.csv');
    writeFileSync(csv, generateSyntheticHospitals({ sites: 1, seed: 3 })[0]!.csv);
    const port = await freePort();
    const local = (args: string[]) =>
      args.map((arg, i) => {
        if (arg.startsWith('/srv/hefl/')) return join(root, arg.slice('/srv/hefl/'.length));
        if (arg.endsWith('.csv')) return csv;
        if (/^[\w.-]+:\d+$/.test(arg)) return `127.0.0.1:${port}`;
        if (args[i - 1] === '--port') return String(port);
        if (args[i - 1] === '--host' && args[0] === 'coordinator') return '127.0.0.1';
        return arg;
      });
    const siteDir = join(root, 'site');
    const ran: string[] = [];

    for (const command of commands.map(local)) {
      const name = command.slice(0, 2).join(' ');
      if (name === 'federation admit') {
        // "send /srv/hefl/site/enrolment-request.json to the coordinator operator"
        copyFileSync(join(siteDir, 'enrolment-request.json'), join(exchange, 'enrolment-request.json'));
      }
      if (name === 'site start' || name === 'coordinator start') {
        daemons.push(startDaemon(command, exchange));
        ran.push(name);
        continue;
      }
      const result = await run(command, exchange);
      expect({ command: command.join(' '), code: result.code, stderr: result.stderr }).toEqual({
        command: command.join(' '),
        code: 0,
        stderr: '',
      });
      ran.push(name);
    }

    expect(ran).toEqual(EXPECTED_COMMANDS);
    for (const key of ['signing-key.json', 'sealing-key.json', 'tls-key.pem']) {
      expect({ key, mode: (statSync(join(siteDir, key)).mode & 0o777).toString(8) }).toEqual({
        key,
        mode: '600',
      });
    }
    const coordinator = daemons[1]!;
    const connected = await waitUntil(
      () => {
        for (const daemon of daemons)
          if (daemon.child.exitCode !== null)
            throw new Error(
              `a daemon exited (${daemon.child.exitCode}): ${daemon.stderr.join('').slice(0, 500)}`,
            );
        return coordinator.lines.find((l) => l.event === 'site.connected');
      },
      40_000,
      'the coordinator to log site.connected',
    );
    expect(connected).toMatchObject({ event: 'site.connected', site: 'st-marys' });
    expect(coordinator.lines.find((l) => l.event === 'coordinator.listening')).toMatchObject({ port });
  }, 90_000);
});
