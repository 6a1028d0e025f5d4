import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { HeflError } from '../../common/errors/index.js';
import { jobJsonSchema } from '../../common/job/job-json-schema.js';
import { oneOf, positiveInteger } from '../cli-options.js';
import { FINAL_STATES, formatJobListLine, formatJobStatus, jobStatusView } from '../job/format-job-status.js';
import { jobTemplate } from '../job/job-template.js';
import { readJobFile } from '../job/read-job-file.js';
import { openResearcherSession, type ResearcherSession } from '../job/researcher-session.js';

const DEFAULT_COORDINATOR = '127.0.0.1:7443';

interface CommonOptions {
  dir: string;
  coordinator: string;
}

/**
 * `hefl job submit | list | status | watch | cancel`: what a researcher runs against the
 * coordinator, from a researcher folder (`hefl site enroll --role researcher`). Metrics are
 * sealed to the submitting researcher and opened only here, with that folder's key.
 */
export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('submit and follow federated jobs (researcher)');

  job
    .command('init')
    .description('write a commented example job file to start from')
    .option('--model <kind>', 'logreg or mlp', oneOf('--model', ['logreg', 'mlp']), 'logreg')
    .option('--out <file>', 'file to write (default: stdout); never overwrites')
    .action(async (opts: { model: 'logreg' | 'mlp'; out?: string }) => {
      const text = jobTemplate(opts.model);
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      await writeFile(opts.out, text, { flag: 'wx' }).catch((cause: NodeJS.ErrnoException) => {
        if (cause.code === 'EEXIST')
          throw new HeflError('already_exists', `${opts.out} exists; not overwritten`);
        throw new HeflError('invalid_argument', `cannot write ${opts.out}`, { cause });
      });
      process.stdout.write(`wrote ${opts.out}\n`);
    });

  job
    .command('schema')
    .description('print the job file format as JSON Schema (for editors), generated from the validator')
    .action(() => {
      process.stdout.write(`${JSON.stringify(jobJsonSchema(), null, 2)}\n`);
    });

  job
    .command('hash')
    .description(
      'print the job hash of a job file, offline (what `job submit` prints and sites approve with `hefl site approve`)',
    )
    .argument('<file>', 'job spec file (.json, .yaml or .yml)')
    .action(async (file: string) => {
      process.stdout.write(`${(await readJobFile(file)).hash}\n`);
    });

  withCommon(job.command('submit'))
    .description('validate a job file (JSON or YAML), sign it and submit it; prints the job id and hash')
    .argument('<file>', 'job spec file (.json, .yaml or .yml)')
    .option('--json', 'print one JSON document on stdout: {"jobId","jobHash"}')
    .action(async (file: string, opts: CommonOptions & { json?: boolean }) => {
      const parsed = await readJobFile(file);
      const submitted = await withSession(opts, (s) => s.call('submit job', (c) => c.submit(parsed)));
      if (opts.json) {
        printJson(submitted);
        return;
      }
      process.stdout.write(`job id: ${submitted.jobId}\njob hash: ${submitted.jobHash}\n`);
    });

  withCommon(job.command('list'))
    .description('list the jobs the coordinator knows: id, state, round, hash')
    .option('--json', 'print one JSON document on stdout: {"jobs":[...]}')
    .action(async (opts: CommonOptions & { json?: boolean }) => {
      const jobs = await withSession(opts, (s) => s.call('list jobs', (c) => c.list()));
      if (opts.json) {
        printJson({
          jobs: jobs.map((j) => ({
            jobId: j.jobId,
            jobHash: j.jobHash,
            state: j.state,
            reason: j.reason,
            currentRound: j.currentRound,
            trainingRounds: j.rounds,
          })),
        });
        return;
      }
      if (jobs.length === 0) process.stdout.write('no jobs\n');
      for (const j of jobs) process.stdout.write(`${formatJobListLine(j)}\n`);
    });

  withCommon(job.command('status'))
    .description('per-round state, participants, absences and decisions with reasons, aggregate metrics')
    .argument('<id>', 'job id')
    .option('--json', 'print one JSON document on stdout')
    .action(async (id: string, opts: CommonOptions & { json?: boolean }) => {
      const view = await withSession(opts, async (s) =>
        jobStatusView(await s.call('job status', (c) => c.status(id)), s.sealingSecretKey, s.isSite),
      );
      if (opts.json) printJson(view);
      else process.stdout.write(formatJobStatus(view));
    });

  withCommon(job.command('watch'))
    .description(
      'follow a job until it ends: a live panel on a terminal, one line per change otherwise; exit 0 completed, 1 failed or cancelled',
    )
    .argument('<id>', 'job id')
    .option('--interval <ms>', 'milliseconds between polls', positiveInteger('--interval', 60_000), 500)
    .option('--plain', 'one line per change even on a terminal')
    .action(async (id: string, opts: CommonOptions & { interval: number; plain?: boolean }) => {
      // Loaded here: the live panel's terminal library is not needed by any other job command.
      const { watchDisplay, watchJob } = await import('../job/job-watch.js');
      const view = await withSession(opts, (s) =>
        watchJob({
          poll: async () =>
            jobStatusView(await s.call('job status', (c) => c.status(id)), s.sealingSecretKey, s.isSite),
          display: watchDisplay(process.stdout, opts.plain === true),
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          intervalMs: opts.interval,
          unreachableMs: 60_000,
        }),
      );
      if (view.state !== 'completed') process.exitCode = 1;
    });

  withCommon(job.command('cancel'))
    .description('cancel a job (signed by the researcher); sites stop at the current round')
    .argument('<id>', 'job id')
    .option('--reason <text>', 'why, recorded in the audit log', 'cancelled by the researcher')
    .action(async (id: string, opts: CommonOptions & { reason: string }) => {
      await withSession(opts, async (s) => {
        const status = await s.call('job status', (c) => c.status(id));
        if (FINAL_STATES.has(status.state))
          throw new HeflError('failed_precondition', `job ${id} has already ended (${status.state})`);
        await s.call('cancel job', (c) => c.cancel(id, opts.reason));
      });
      process.stdout.write(`job ${id} cancelled\n`);
    });
}

function withCommon(command: Command): Command {
  return command
    .requiredOption('--dir <dir>', 'researcher folder (hefl site enroll --role researcher)')
    .option('--coordinator <host:port>', 'coordinator address', DEFAULT_COORDINATOR);
}

async function withSession<T>(opts: CommonOptions, run: (s: ResearcherSession) => Promise<T>): Promise<T> {
  const session = await openResearcherSession(opts.dir, opts.coordinator);
  try {
    return await run(session);
  } finally {
    session.close();
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
