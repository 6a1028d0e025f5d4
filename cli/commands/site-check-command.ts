import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkSiteData, loadRawCsv } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import { readJobFile } from '../job/read-job-file.js';
import { formatSiteCheck } from '../site/format-site-check.js';

/** `hefl site check`: the site's data read as the node would, checked locally against a job. */
export function registerSiteCheckCommand(site: Command): void {
  site
    .command('check')
    .description(
      "read the site's data as the node would and report rows, missingness, ranges, unknown codes and label balance (locally only); exit 2 when a job could not run on it",
    )
    .requiredOption('--data <file>', 'CSV of local records (header row, or give --columns)')
    .option('--columns <names>', 'comma-separated column names for a headerless CSV')
    .option('--label <column>', 'label column (default: the job file’s)')
    .option('--job <file>', 'a job file (JSON or YAML) to check the data against, with its feature schema')
    .option('--json', 'print one JSON document on stdout')
    .action(
      async (opts: { data: string; columns?: string; label?: string; job?: string; json?: boolean }) => {
        const job = opts.job ? (await readJobFile(resolve(opts.job))).spec : undefined;
        if (!job && !opts.label) throw new HeflError('invalid_argument', 'give --label or --job');
        const raw = await loadRawCsv(
          resolve(opts.data),
          opts.columns?.split(',').map((c) => c.trim()),
        );
        const check = checkSiteData(raw, { label: opts.label, job });
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(check, null, 2)}\n`
            : formatSiteCheck(check, job ? `against job '${job.name}'` : 'no job given'),
        );
        if (check.problems.length > 0) {
          const more = check.problems.length > 1 ? ` (and ${check.problems.length - 1} more problem(s))` : '';
          throw new HeflError('invalid_data', `${check.problems[0]}${more}`);
        }
      },
    );
}
