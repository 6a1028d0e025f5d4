import { join } from 'node:path';
import { z } from 'zod';
import { HeflError } from '../../common/errors/index.js';
import { readJsonFile, toJsonText } from '../../common/identity/json-file.js';
import { writePrivateKeyFile } from '../../common/identity/key-files.js';
import { type Clock, systemClock } from '../../common/time/clock.js';
import { zodProblems } from '../../common/validation/zod-problems.js';

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
});

/** One approval: which job, when (ISO 8601, UTC) and by whom (the local user who ran the command). */
export type Approval = Readonly<z.output<typeof approvalsFileSchema>['approvals'][number]>;

/**
 * Job hashes hospital IT approved for a site whose policy says `approval: explicit`, in
 * `approvals.json` in the site folder (0600, replaced atomically). Written by
 * `hefl site approve` while the site node may be running, so every read goes to the file:
 * an approval counts for the next offer without a restart. A missing file means no
 * approvals; an invalid one is `invalid_data` (never treated as empty). Two `approve`
 * commands at the same instant may lose one of the two approvals (last writer wins).
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
    const approvals = await this.list();
    if (approvals.some((a) => a.jobHash === hash)) return false;
    const entry = { jobHash: hash, approvedAt: new Date(this.clock.now()).toISOString(), approvedBy };
    const body = { version: 1, approvals: [...approvals, entry] };
    await writePrivateKeyFile(this.path, toJsonText(body), { overwrite: true });
    return true;
  }

  async isApproved(jobHash: string): Promise<boolean> {
    return (await this.approved()).has(jobHash.toLowerCase());
  }

  /** The approved hashes now, for `evaluateJob`. */
  async approved(): Promise<ReadonlySet<string>> {
    return new Set((await this.list()).map((a) => a.jobHash));
  }

  async list(): Promise<readonly Approval[]> {
    let stored: unknown;
    try {
      stored = await readJsonFile(this.path, 'approvals file');
    } catch (error) {
      if (HeflError.is(error, 'not_found')) return [];
      throw error;
    }
    const result = approvalsFileSchema.safeParse(stored);
    if (!result.success) {
      const problems = zodProblems(result.error);
      throw new HeflError('invalid_data', `approvals file ${this.path} is invalid: ${problems.join('; ')}`);
    }
    return Object.freeze(result.data.approvals.map((a) => Object.freeze({ ...a })));
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
