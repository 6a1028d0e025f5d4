import { dirname, join } from 'node:path';
import { z } from 'zod';
import { HeflError } from '../../common/errors/index.js';
import { readJsonFile, toJsonText } from '../../common/identity/json-file.js';
import { writePrivateKeyFile } from '../../common/identity/key-files.js';
import { type Clock, systemClock } from '../../common/time/clock.js';
import { zodProblems } from '../../common/validation/zod-problems.js';
import { withApprovalsLock } from './with-approvals-lock.js';

const JOB_HASH = /^[0-9a-f]{64}$/;

const approvalsFileSchema = z.strictObject({
  version: z.literal(1),
  approvals: z.array(
    z.strictObject({
      jobHash: z.string().regex(JOB_HASH, 'expected 64 lower-case hex characters'),
      approvedAt: z.string().min(1),
      approvedBy: z.string().min(1).max(200),
    }),
  ),
  /** Jobs hospital IT declined (`hefl site decline`); absent in files written before it existed. */
  declines: z
    .array(
      z.strictObject({
        jobHash: z.string().regex(JOB_HASH, 'expected 64 lower-case hex characters'),
        declinedAt: z.string().min(1),
        declinedBy: z.string().min(1).max(200),
      }),
    )
    .default([]),
});

type ApprovalsFile = z.output<typeof approvalsFileSchema>;

/** One approval: which job, when (ISO 8601, UTC) and by whom (the local user who ran the command). */
export type Approval = Readonly<ApprovalsFile['approvals'][number]>;
/** One decline: which job, when (ISO 8601, UTC) and by whom. */
export type Decline = Readonly<ApprovalsFile['declines'][number]>;

/**
 * Job hashes hospital IT approved for a site whose policy says `approval: explicit`, in
 * `approvals.json` in the site folder (0600, replaced atomically). Written by
 * `hefl site approve` while the site node may be running, so every read goes to the file:
 * an approval counts for the next offer without a restart, and a running node polls it while
 * an offer waits (`ApprovalWaiter`). A missing file means no approvals; an invalid one is
 * `invalid_data` (never treated as empty). Readers never see a half-written file (atomic
 * rename); writers (`approve`, `decline`) read-modify-write under `approvals.lock`, a kernel
 * lock (see `withApprovalsLock`), so two operators deciding at once both count.
 */
export class ApprovalStore {
  static readonly FILE = 'approvals.json';
  readonly path: string;

  constructor(
    dir: string,
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {
    this.path = join(dir, ApprovalStore.FILE);
  }

  /**
   * Approves a job hash (any case; stored lower-case). Returns false if it was already
   * approved (the first approval is kept). `invalid_argument` for something that is not a
   * job hash.
   */
  async approve(jobHash: string, approvedBy: string): Promise<boolean> {
    const hash = normaliseJobHash(jobHash);
    return withApprovalsLock(dirname(this.path), async () => {
      const file = await this.read();
      if (file.approvals.some((a) => a.jobHash === hash)) return false;
      if (file.declines.some((d) => d.jobHash === hash)) {
        throw new HeflError(
          'failed_precondition',
          `job ${hash} was declined at this site; it cannot be approved now`,
        );
      }
      const entry = { jobHash: hash, approvedAt: new Date(this.clock.now()).toISOString(), approvedBy };
      await this.write({ ...file, approvals: [...file.approvals, entry] });
      return true;
    });
  }

  /**
   * Declines a job hash: the node answers its offer with a decline naming the operator's
   * choice. Returns false if it was already declined. `failed_precondition` for a job
   * already approved (the site may be running it; approvals are not taken back).
   */
  async decline(jobHash: string, declinedBy: string): Promise<boolean> {
    const hash = normaliseJobHash(jobHash);
    return withApprovalsLock(dirname(this.path), async () => {
      const file = await this.read();
      if (file.declines.some((d) => d.jobHash === hash)) return false;
      if (file.approvals.some((a) => a.jobHash === hash)) {
        throw new HeflError('failed_precondition', `job ${hash} was already approved at this site`);
      }
      const entry = { jobHash: hash, declinedAt: new Date(this.clock.now()).toISOString(), declinedBy };
      await this.write({ ...file, declines: [...file.declines, entry] });
      return true;
    });
  }

  /** The declined hashes now. */
  async declined(): Promise<ReadonlySet<string>> {
    return new Set((await this.read()).declines.map((d) => d.jobHash));
  }

  async isApproved(jobHash: string): Promise<boolean> {
    return (await this.approved()).has(jobHash.toLowerCase());
  }

  /** The approved hashes now, for `evaluateJob`. */
  async approved(): Promise<ReadonlySet<string>> {
    return new Set((await this.list()).map((a) => a.jobHash));
  }

  async list(): Promise<readonly Approval[]> {
    return Object.freeze((await this.read()).approvals.map((a) => Object.freeze({ ...a })));
  }

  private async read(): Promise<ApprovalsFile> {
    let stored: unknown;
    try {
      stored = await readJsonFile(this.path, 'approvals file');
    } catch (error) {
      if (HeflError.is(error, 'not_found')) return { version: 1, approvals: [], declines: [] };
      throw error;
    }
    const result = approvalsFileSchema.safeParse(stored);
    if (!result.success) {
      const problems = zodProblems(result.error);
      throw new HeflError('invalid_data', `approvals file ${this.path} is invalid: ${problems.join('; ')}`);
    }
    return result.data;
  }

  private async write(file: ApprovalsFile): Promise<void> {
    await writePrivateKeyFile(this.path, toJsonText(file), { overwrite: true });
  }
}

/** Lower-cases and checks a job hash as typed by a person; `invalid_argument` if it is not one. */
export function normaliseJobHash(jobHash: string): string {
  const hash = jobHash.trim().toLowerCase();
  if (!JOB_HASH.test(hash)) {
    throw new HeflError(
      'invalid_argument',
      `not a job hash: expected 64 hex characters (the SHA-256 shown by the job), got '${jobHash.slice(0, 80)}'`,
    );
  }
  return hash;
}
