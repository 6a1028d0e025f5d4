// Test-only entry script: `hefl coordinator start` composed with faults, for tests that need
// a real coordinator PROCESS that fails on cue (production code reads no fault settings).
// It runs the BUILT command (dist/, as the other process tests do) and no TypeScript loader,
// so a crash test's many restarts each start as fast as `hefl`:
//
//   node faulty-daemon.mjs --faults '{"coordinator":{"crashAfterAudit":"round.closed"}}' coordinator start --dir D --port P
//
// The same command as the real CLI (folder lock, JSON logs, signal handling); the faults are
// described by DaemonFaults (daemon-faults.ts).
import { Command, CommanderError } from 'commander';
import { crashAfterAudit } from './crash-after-audit.mjs';

const dist = new URL('../../dist/', import.meta.url);

/** The coordinator's injected faults (CoordinatorFaults) for a DaemonFaults['coordinator']. */
function coordinatorFaults(spec) {
  const delayMs = spec?.aggregationDelayMs ?? 0;
  const crashPoint = spec?.crashAfterAudit;
  return {
    ...(delayMs > 0 ? { holdAggregation: () => new Promise((resolve) => setTimeout(resolve, delayMs)) } : {}),
    ...(crashPoint
      ? {
          wrapAudit: (audit) =>
            crashAfterAudit(audit, crashPoint, () => process.kill(process.pid, 'SIGKILL')),
        }
      : {}),
  };
}

async function main(argv) {
  const [flag, json, ...hefl] = argv;
  if (flag !== '--faults' || json === undefined) {
    process.stderr.write('usage: faulty-daemon.mjs --faults JSON <hefl daemon arguments>\n');
    return 2;
  }
  const faults = JSON.parse(json);
  const { registerCoordinatorCommand } = await import(
    new URL('cli/commands/coordinator-command.js', dist).href
  );
  const { startCoordinator } = await import(new URL('coordinator/index.js', dist).href);
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
