// Test-only entry script: `hefl site start` with a fault composed in, for tests that need a
// real site PROCESS that misbehaves (production code reads no fault variables). It runs the
// BUILT site command (dist/, as the other process tests do) and no TypeScript loader, so it
// starts as fast as `hefl`. Start it with
// `faultySiteCommand` (faulty-site-command.ts):
//   node test/support/faulty-site.mjs --train-delay-ms <ms> site start <flags>
// makes every local training of that site take <ms> longer.
import { Command } from 'commander';
import { slowTrainer } from './slow-trainer.mjs';

const dist = new URL('../../dist/', import.meta.url);

async function main(argv) {
  const [flag, value, ...rest] = argv;
  const delayMs = Number(value);
  if (flag !== '--train-delay-ms' || !Number.isInteger(delayMs) || delayMs < 0)
    throw new Error('usage: faulty-site.mjs --train-delay-ms <ms> site start <flags>');
  const { registerSiteStartCommand } = await import(new URL('cli/commands/site-command.js', dist).href);
  const { createEventLogger } = await import(new URL('cli/daemon/event-logger.js', dist).href);
  const { WorkerTrainer } = await import(new URL('client-node/training/index.js', dist).href);
  createEventLogger('site', 'info').log('fault.injected', {
    trainDelayMs: delayMs,
    why: 'test-only entry script',
  });
  const program = new Command('faulty-site').exitOverride();
  registerSiteStartCommand(program.command('site'), {
    createTrainer: async () => slowTrainer(await WorkerTrainer.create(), delayMs),
  });
  await program.parseAsync(rest, { from: 'user' });
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`faulty-site: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
