import { Command, CommanderError } from 'commander';
import { registerCoordinatorCommand } from '../../cli/commands/coordinator-command.js';
import { startCoordinator } from '../../coordinator/start-coordinator.js';
import { coordinatorFaults, type DaemonFaults } from './daemon-faults.js';

/**
 * Test-only entry point (run it through faulty-daemon.mjs, see daemon-faults.ts):
 *
 *   faulty-daemon.mjs --faults '{"coordinator":{"crashAfterAudit":"round.closed"}}' coordinator start --dir D --port P
 *
 * The same `hefl coordinator start` command as the real CLI — folder lock, JSON logs,
 * signal handling — composed with the faults given. It is never built into dist/.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [flag, json, ...hefl] = argv;
  if (flag !== '--faults' || json === undefined) {
    process.stderr.write('usage: faulty-daemon.mjs --faults JSON <hefl daemon arguments>\n');
    return 2;
  }
  const faults = JSON.parse(json) as DaemonFaults;
  const program = new Command('hefl-with-faults').exitOverride();
  registerCoordinatorCommand(program, (options) =>
    startCoordinator({ ...options, faults: coordinatorFaults(faults.coordinator) }),
  );
  try {
    await program.parseAsync([...hefl], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(
      `hefl (faults injected): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
