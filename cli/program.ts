import { Command } from 'commander';

/**
 * The top-level command groups. Each group's modules are imported only when it runs:
 * `hefl --help` and `hefl job status` must start fast (issue 17), and the groups that
 * train or encrypt pull in TensorFlow.js, node-seal and SQLite. The descriptions are
 * what `hefl --help` lists; test/cli-start-light.test.ts checks they match what each
 * group registers.
 */
const GROUPS: readonly {
  readonly name: string;
  readonly description: string;
  readonly register: (program: Command) => Promise<void>;
}[] = [
  {
    name: 'simulate',
    description:
      'run a coordinator and N site nodes on 127.0.0.1 (real gRPC, mutual TLS, HE) through one job',
    register: async (p) => (await import('./commands/simulate-command.js')).registerSimulateCommand(p),
  },
  {
    name: 'federation',
    description: 'create a federation and admit or revoke its sites, researchers and auditors',
    register: async (p) => (await import('./commands/federation-command.js')).registerFederationCommands(p),
  },
  {
    name: 'site',
    description: 'what hospital IT runs: enrol, install the admission, start the node',
    register: async (p) => {
      const [enrol, start, check, policy, approval, renew] = await Promise.all([
        import('./commands/federation-command.js'),
        import('./commands/site-command.js'),
        import('./commands/site-check-command.js'),
        import('./commands/site-policy-command.js'),
        import('./commands/site-approval-command.js'),
        import('./commands/renewal-command.js'),
      ]);
      const site = p
        .command('site')
        .description('what hospital IT runs: enrol, install the admission, start the node');
      enrol.registerSiteEnrolCommands(site);
      start.registerSiteStartCommand(site);
      check.registerSiteCheckCommand(site);
      policy.registerSitePolicyCommands(site);
      approval.registerSiteApprovalCommands(site);
      renew.registerSiteRenewCommand(site);
    },
  },
  {
    name: 'coordinator',
    description: 'run the coordinator (adds ciphertexts; never decrypts)',
    register: async (p) => (await import('./commands/coordinator-command.js')).registerCoordinatorCommand(p),
  },
  {
    name: 'job',
    description: 'submit and follow federated jobs (researcher)',
    register: async (p) => (await import('./commands/job-command.js')).registerJobCommands(p),
  },
  {
    name: 'model',
    description: 'receive a trained model (researcher)',
    register: async (p) => (await import('./commands/model-command.js')).registerModelCommands(p),
  },
  {
    name: 'audit',
    description: 'verify, read and export tamper-evident audit logs',
    register: async (p) => (await import('./commands/audit-command.js')).registerAuditCommand(p),
  },
  {
    name: 'dashboard',
    description: 'serve a local web page with the verified audit timeline and the jobs (until Ctrl-C)',
    register: async (p) => (await import('./commands/dashboard-command.js')).registerDashboardCommand(p),
  },
  {
    name: 'bench',
    description: 'measure hefl on this machine',
    register: async (p) => (await import('./commands/bench-command.js')).registerBenchCommand(p),
  },
];

/** The names and descriptions `hefl --help` lists, in order. */
export const COMMAND_GROUPS: readonly { readonly name: string; readonly description: string }[] = GROUPS;

/**
 * The group `args` (the command line after `hefl`) runs, if any: its first word, or the
 * word after `help` (`hefl help job`).
 */
function groupOf(args: readonly string[]): string | undefined {
  const [first, second] = args;
  const name = first === 'help' ? second : first;
  return GROUPS.some((g) => g.name === name) ? name : undefined;
}

/**
 * Builds the `hefl` command tree; every subcommand registers itself from its own file.
 * With `args` (what main.ts passes), only the group they name is loaded; the others are
 * listed by name and description. Without, every group is loaded (tests walk the whole tree).
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('hefl')
    .description(
      'Federated learning for hospitals: records stay on site, the coordinator only adds ciphertexts.',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const wanted = args === undefined ? undefined : groupOf(args);
  for (const group of GROUPS) {
    if (args === undefined || group.name === wanted) await group.register(program);
    else program.command(group.name).description(group.description);
  }
  if (args === undefined || wanted !== undefined) {
    // Last: it walks every command registered above.
    const { applyFolderConfig } = await import('./config/apply-folder-config.js');
    applyFolderConfig(program);
  }
  return program;
}
