import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerSiteStartCommand } from '../../cli/commands/site-command.js';
import { createEventLogger } from '../../cli/daemon/event-logger.js';
import { WorkerTrainer } from '../../client-node/training/index.js';
import { slowTrainer } from './slow-trainer.js';

/**
 * Test-only entry script: `hefl site start` with a fault composed in, for tests that need a
 * real site PROCESS that misbehaves (production code reads no fault variables). Run as
 *   node --import tsx test/support/faulty-site.ts --train-delay-ms <ms> site start <flags>
 * (see `faultySiteCommand`): every local training takes <ms> longer.
 */
async function main(argv: readonly string[]): Promise<void> {
  const [flag, value, ...rest] = argv;
  const delayMs = Number(value);
  if (flag !== '--train-delay-ms' || !Number.isInteger(delayMs) || delayMs < 0)
    throw new Error('usage: faulty-site.ts --train-delay-ms <ms> site start <flags>');
  createEventLogger('site', 'info').log('fault.injected', {
    trainDelayMs: delayMs,
    why: 'test-only entry script',
  });
  const program = new Command('faulty-site').exitOverride();
  registerSiteStartCommand(program.command('site'), {
    createTrainer: async () => slowTrainer(await WorkerTrainer.create(), delayMs),
  });
  await program.parseAsync([...rest], { from: 'user' });
}

/**
 * The node arguments that start a site process through this script instead of the built
 * CLI (pass as the `entry` of a HeflProcess, followed by the usual `site start` flags).
 */
export function faultySiteCommand(fault: { trainDelayMs: number }): readonly string[] {
  return ['--import', 'tsx', fileURLToPath(import.meta.url), '--train-delay-ms', String(fault.trainDelayMs)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`faulty-site: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
