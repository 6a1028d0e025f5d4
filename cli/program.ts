import { Command } from 'commander';
import { registerBenchCommand } from './commands/bench-command.js';

/** Builds the `hefl` command tree; every subcommand registers itself from its own file. */
export function buildProgram(): Command {
  const program = new Command('hefl')
    .description(
      'Federated learning for hospitals: records stay on site, the coordinator only adds ciphertexts.',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerBenchCommand(program);
  return program;
}
