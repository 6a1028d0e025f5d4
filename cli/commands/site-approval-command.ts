import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ApprovalStore,
  type PendingOffer,
  PendingOffers,
  resolveSitePolicy,
} from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';

/**
 * `hefl site pending | approve | decline`: hospital IT's explicit approval of jobs
 * (`approval: explicit`). These commands talk to the running site node through the site
 * folder only (see ApprovalWaiter): `pending` reads what the node holds
 * (`pending-approvals.json`), `approve`/`decline` write `approvals.json` under its lock, and
 * the node answers the held offer within about a second.
 */
export function registerSiteApprovalCommands(site: Command): void {
  site
    .command('pending')
    .description('list the jobs this site holds for explicit approval (while hefl site start runs)')
    .requiredOption('--dir <dir>', 'the site folder')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const pending = await new PendingOffers(resolve(opts.dir)).read();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ pending })}\n`);
        return;
      }
      if (pending.length === 0) {
        process.stdout.write('no job waits for approval at this site\n');
        return;
      }
      const lines = pending.flatMap((p) => [
        `job ${p.jobId}  ${p.name}`,
        `  hash:       ${p.jobHash}`,
        `  model:      ${p.model}, ${p.rounds} round(s)`,
        `  DP:         ${p.dp ?? 'none'}`,
        `  researcher: ${p.researcher}`,
        `  offered:    ${p.offeredAt} (recruiting ends about ${p.recruitUntil})`,
      ]);
      lines.push(
        `approve with: hefl site approve --dir ${opts.dir} JOB_HASH_OR_ID (or: hefl site decline ...)`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  site
    .command('approve')
    .description(
      'approve a job by its hash (or a pending job by its id), for a policy with approval: explicit',
    )
    .argument('<job>', "the job's hash (64 hex characters), or the id of a pending job")
    .requiredOption('--dir <dir>', 'the site folder')
    .action(async (job: string, opts: { dir: string }) => {
      const dir = resolve(opts.dir);
      await recordVerdict(dir, job, 'approved');
      const note = await resolveSitePolicy({ dir }).then(
        ({ policy: current }) =>
          current.approval === 'auto'
            ? "note: this site's policy says approval: auto, so approvals are not needed (nor checked)"
            : undefined,
        () => `note: this site's policy cannot be read; run: hefl site policy check --dir ${opts.dir}`,
      );
      if (note !== undefined) process.stdout.write(`${note}\n`);
    });

  site
    .command('decline')
    .description('decline a job by its hash (or a pending job by its id): the site answers no')
    .argument('<job>', "the job's hash (64 hex characters), or the id of a pending job")
    .requiredOption('--dir <dir>', 'the site folder')
    .action(async (job: string, opts: { dir: string }) => {
      await recordVerdict(resolve(opts.dir), job, 'declined');
    });
}

/** Records the operator's approval or decline of a job (by hash or pending id) and says so. */
async function recordVerdict(dir: string, job: string, verdict: 'approved' | 'declined'): Promise<void> {
  const hash = await jobHashOf(dir, job);
  const store = new ApprovalStore(dir);
  const added =
    verdict === 'approved' ? await store.approve(hash, localUser()) : await store.decline(hash, localUser());
  process.stdout.write(
    added ? `${verdict} job ${hash} (${store.path})\n` : `job ${hash} was already ${verdict}\n`,
  );
}

/** A job hash as typed, or the hash of the pending job with that id; `invalid_argument` otherwise. */
async function jobHashOf(dir: string, job: string): Promise<string> {
  const typed = job.trim().toLowerCase();
  if (/^[0-9a-f]{64}$/.test(typed)) return typed;
  let pending: readonly PendingOffer[] = [];
  try {
    pending = await new PendingOffers(dir).read();
  } catch (error) {
    if (!HeflError.is(error, 'invalid_data')) throw error;
  }
  const match = pending.find((p) => p.jobId === job.trim());
  if (match) return match.jobHash;
  throw new HeflError(
    'invalid_argument',
    `not a job hash (64 hex characters) nor the id of a job pending at this site: '${job.slice(0, 80)}' ` +
      `(list them with: hefl site pending --dir ${dir})`,
  );
}

function localUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown'; // no passwd entry (some containers)
  }
}
