import { type Command, InvalidArgumentError } from 'commander';
import { startDashboardServer } from '../dashboard/dashboard-server.js';
import { findDashboardSources } from '../dashboard/dashboard-sources.js';
import { folderDashboard } from '../dashboard/folder-dashboard.js';

interface DashboardOptions {
  dir: string;
  port: number;
  host: string;
  log?: string;
  coordinator: string;
  interval: number;
}

/** `hefl dashboard --dir DIR`: a local web view of a folder's verified audit log and its researcher's jobs. */
export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve a local web page with the verified audit timeline and the jobs (until Ctrl-C)')
    .requiredOption('--dir <dir>', 'a researcher or auditor folder, or a `hefl simulate --out` folder')
    .option('--port <n>', 'TCP port (0: any free port)', wholeNumber('--port', 0, 65_535), 8080)
    .option(
      '--host <address>',
      'address to bind (keep the loopback default unless you mean to share it)',
      '127.0.0.1',
    )
    .option('--log <file>', 'coordinator audit log (default: DIR/audit.jsonl or DIR/coordinator/audit.jsonl)')
    .option('--coordinator <host:port>', 'coordinator address for the job list', '127.0.0.1:7443')
    .option(
      '--interval <ms>',
      'how often the page refreshes',
      wholeNumber('--interval', 100, 3_600_000),
      2000,
    )
    .action(async (opts: DashboardOptions) => {
      const deps = folderDashboard(
        opts.dir,
        findDashboardSources(opts.dir, opts.log),
        opts.coordinator,
        opts.interval,
      );
      const running = await startDashboardServer(deps, opts.host, opts.port);
      process.stdout.write(`dashboard at ${running.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      deps.close();
      await running.close();
    });
}

/** commander parser for a whole number in [min, max], naming the option when it is not. */
function wholeNumber(option: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${option} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
