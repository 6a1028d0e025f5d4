import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HeflError } from '../../common/errors/index.js';
import { startCoordinator } from '../../coordinator/index.js';
import { oneOf, positiveInteger } from '../cli-options.js';
import { createEventLogger, LOG_LEVELS } from '../daemon/event-logger.js';
import { holdFolderLock } from '../daemon/hold-folder-lock.js';
import { untilSignal } from '../daemon/until-signal.js';
import { registerCoordinatorBackupCommands } from './coordinator-backup-command.js';
import { registerCoordinatorStatusCommand } from './operator-views-command.js';

/**
 * `hefl coordinator start`: the coordinator daemon (mutual TLS, JSON logs on stdout).
 * `start` is the coordinator's composition root; only the test-only entry script
 * test/support/faulty-daemon.ts passes another (the same one, with faults injected).
 */
export function registerCoordinatorCommand(
  program: Command,
  start: typeof startCoordinator = startCoordinator,
): void {
  const coordinator = program
    .command('coordinator')
    .description('run the coordinator (adds ciphertexts; never decrypts)');
  coordinator
    .command('start')
    .description('serve the federation from DIR (made by `hefl federation init`)')
    .requiredOption('--dir <dir>', 'the coordinator folder')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', portNumber, 7443)
    .option(
      '--log-level <level>',
      `one of ${LOG_LEVELS.join(', ')}`,
      oneOf('--log-level', LOG_LEVELS),
      'info',
    )
    .option(
      '--metrics-port <port>',
      'serve metrics, health, members and status on this port of 127.0.0.1 only (0 = any free port)',
      portNumber,
    )
    .action(
      async (opts: { dir: string; host: string; port: number; logLevel: string; metricsPort?: number }) => {
        const { log, warn } = createEventLogger('coordinator', opts.logLevel);
        // One coordinator per folder: a second on the same SQLite state and audit log would fork both.
        const lock = holdFolderLock(resolve(opts.dir));
        let running: Awaited<ReturnType<typeof startCoordinator>>;
        try {
          running = await start({
            dir: resolve(opts.dir),
            host: opts.host,
            port: opts.port,
            log,
            warn,
            ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
          });
        } catch (error) {
          lock.release();
          throw portInUse(error, opts.host, opts.port) ?? error;
        }
        // Handlers first: whoever reads "listening" may send SIGINT at once, and one that
        // arrives before them would kill the process with no clean stop (seen in CI).
        const stopSignal = untilSignal();
        log('coordinator.listening', {
          host: opts.host,
          port: running.port,
          dir: resolve(opts.dir),
          ...(running.statusPort !== undefined
            ? { metrics: `http://127.0.0.1:${running.statusPort}/metrics` }
            : {}),
        });
        const signal = await stopSignal;
        log('coordinator.stopping', { signal });
        await running.stop();
        lock.release();
        if (signal === 'SIGINT') process.exitCode = 130;
      },
    );
  registerCoordinatorStatusCommand(coordinator);
  registerCoordinatorBackupCommands(coordinator);
}

/** grpc-js reports a taken port only inside its bind message: say it as a person would. */
function portInUse(error: unknown, host: string, port: number): HeflError | undefined {
  if (!(error instanceof Error) || !error.message.includes('EADDRINUSE')) return undefined;
  return new HeflError(
    'unavailable',
    `port ${port} is already in use on ${host} (another coordinator or program listens there); stop it or choose another --port`,
    { cause: error },
  );
}

function portNumber(value: string): number {
  return value === '0' ? 0 : positiveInteger('--port', 65_535)(value);
}
