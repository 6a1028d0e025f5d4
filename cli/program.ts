import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit-command.js';
import { registerBenchCommand } from './commands/bench-command.js';
import { registerCoordinatorCommand } from './commands/coordinator-command.js';
import { registerFederationCommands, registerSiteEnrolCommands } from './commands/federation-command.js';
import { registerJobCommands } from './commands/job-command.js';
import { registerModelCommands } from './commands/model-command.js';
import { registerSiteRenewCommand } from './commands/renewal-command.js';
import { registerSimulateCommand } from './commands/simulate-command.js';
import { registerSiteApprovalCommands } from './commands/site-approval-command.js';
import { registerSiteCheckCommand } from './commands/site-check-command.js';
import { registerSiteStartCommand } from './commands/site-command.js';
import { registerSitePolicyCommands } from './commands/site-policy-command.js';
import { applyFolderConfig } from './config/apply-folder-config.js';

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
  registerSimulateCommand(program);
  registerFederationCommands(program);
  const site = program
    .command('site')
    .description('what hospital IT runs: enrol, install the admission, start the node');
  registerSiteEnrolCommands(site);
  registerSiteStartCommand(site);
  registerSiteCheckCommand(site);
  registerSitePolicyCommands(site);
  registerSiteApprovalCommands(site);
  registerSiteRenewCommand(site);
  registerCoordinatorCommand(program);
  registerJobCommands(program);
  registerModelCommands(program);
  registerAuditCommand(program);
  registerBenchCommand(program);
  // Last: it walks every command registered above.
  applyFolderConfig(program);
  return program;
}
