import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import {
  BudgetStore,
  resolveSitePolicy,
  SITE_POLICY_FILES,
  sitePolicyTemplate,
} from '../../client-node/index.js';
import { remaining, spentEpsilon } from '../../common/dp/dp-budget.js';
import { writePublicFile } from '../../common/identity/key-files.js';

interface DirOptions {
  dir: string;
  policy?: string;
  json?: boolean;
}

/**
 * `hefl site policy check | init`, `hefl site budget` (approvals: site-approval-command.ts): what
 * hospital IT runs to decide, and see, which jobs their site takes part in and what privacy
 * budget they have spent. Failures throw HeflError (cli/main.ts maps them to exit codes).
 */
export function registerSitePolicyCommands(site: Command): void {
  const policy = site.command('policy').description("check or create this site's job policy");

  policy
    .command('check')
    .description('validate the policy file and print it normalised (every problem at once)')
    .requiredOption('--dir <dir>', 'the site folder')
    .option('--policy <file>', `policy file (default: ${SITE_POLICY_FILES.join(' or ')} in --dir)`)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: DirOptions) => {
      const { policy: normalised, path } = await resolveSitePolicy(policyLocation(opts));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ path: path ?? null, policy: normalised })}\n`);
        return;
      }
      process.stdout.write(
        path === undefined
          ? `no policy file in ${resolve(opts.dir)}; this site runs on the defaults ` +
              '(write them with: hefl site policy init):\n'
          : `policy ok: ${path}\n`,
      );
      process.stdout.write(toYaml(normalised));
    });

  policy
    .command('init')
    .description(`write a commented default policy (${SITE_POLICY_FILES[0]}) into the site folder`)
    .requiredOption('--dir <dir>', 'the site folder')
    .option('--force', 'replace an existing policy file')
    .action(async (opts: { dir: string; force?: boolean }) => {
      const path = join(resolve(opts.dir), SITE_POLICY_FILES[0]);
      await writePublicFile(path, sitePolicyTemplate(), { overwrite: opts.force === true });
      process.stdout.write(`wrote ${path}; edit it, then run: hefl site policy check --dir ${opts.dir}\n`);
    });

  site
    .command('budget')
    .description('show the privacy budget: total, spent per job, remaining')
    .requiredOption('--dir <dir>', 'the site folder')
    .option('--policy <file>', `policy file (default: ${SITE_POLICY_FILES.join(' or ')} in --dir)`)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: DirOptions) => {
      const location = policyLocation(opts);
      const { policy: current } = await resolveSitePolicy(location);
      const ledger = (await BudgetStore.open(location.dir, current.budget)).current();
      const report = {
        epsilonTotal: ledger.epsilonTotal,
        delta: ledger.delta,
        epsilonSpent: spentEpsilon(ledger),
        epsilonRemaining: remaining(ledger),
        // unit: what each job's epsilon protects (record = one patient record, site = one site's update).
        spent: ledger.spent.map((entry) => ({
          jobHash: entry.jobHash,
          epsilon: entry.epsilon,
          unit: entry.unit ?? 'site',
        })),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const lines = [
        `privacy budget: epsilon ${fmt(report.epsilonTotal)} in total, delta ${fmt(report.delta)} per job (jobs' epsilons add up, whatever their unit)`,
        `spent: ${fmt(report.epsilonSpent)}${report.spent.length === 0 ? ' (no DP job yet)' : ''}`,
        ...report.spent.map(
          (entry) =>
            `  ${entry.jobHash}  ${fmt(entry.epsilon)}  ${entry.unit === 'record' ? 'per patient record (DP-SGD)' : "per site (a site's whole update)"}`,
        ),
        `remaining: ${fmt(report.epsilonRemaining)}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function policyLocation(opts: DirOptions): { dir: string; policyPath?: string } {
  const dir = resolve(opts.dir);
  return opts.policy === undefined ? { dir } : { dir, policyPath: resolve(opts.policy) };
}

function fmt(value: number): string {
  return String(Number(value.toPrecision(6)));
}
