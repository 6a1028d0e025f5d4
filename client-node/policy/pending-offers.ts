import { join } from 'node:path';
import { z } from 'zod';
import { HeflError } from '../../common/errors/index.js';
import { readJsonFile, toJsonText } from '../../common/identity/json-file.js';
import { writePrivateKeyFile } from '../../common/identity/key-files.js';
import type { JobSpec } from '../../common/job/job-spec.js';
import { zodProblems } from '../../common/validation/zod-problems.js';

const pendingOfferSchema = z.strictObject({
  jobId: z.string().min(1),
  jobHash: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string(),
  model: z.string(),
  rounds: z.number().int(),
  /** e.g. "record-level, epsilon 3, delta 1e-05"; null for a job without DP. */
  dp: z.string().nullable(),
  /** The researcher's member id in the federation manifest (who signed the job). */
  researcher: z.string(),
  /** ISO 8601 (UTC): when the offer first arrived, and when its recruiting ends (offered + recruitSeconds). */
  offeredAt: z.string(),
  recruitUntil: z.string(),
});

const pendingFileSchema = z.strictObject({ version: z.literal(1), pending: z.array(pendingOfferSchema) });

/** A job offer the site node holds until hospital IT approves or declines it. */
export type PendingOffer = Readonly<z.output<typeof pendingOfferSchema>>;

/**
 * `pending-approvals.json` in the site folder: the offers the running site node holds for
 * explicit approval, for `hefl site pending`. Written only by the node (atomically, 0600),
 * rewritten whole on every change and emptied when the node starts (the coordinator offers
 * unanswered jobs again on every connect). Holds job facts only, never data or keys.
 */
export class PendingOffers {
  static readonly FILE = 'pending-approvals.json';
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, PendingOffers.FILE);
  }

  async write(offers: readonly PendingOffer[]): Promise<void> {
    await writePrivateKeyFile(this.path, toJsonText({ version: 1, pending: offers }), { overwrite: true });
  }

  /** The offers held now; none without a file (no node ran, or none waits). */
  async read(): Promise<readonly PendingOffer[]> {
    let stored: unknown;
    try {
      stored = await readJsonFile(this.path, 'pending approvals file');
    } catch (error) {
      if (HeflError.is(error, 'not_found')) return [];
      throw error;
    }
    const result = pendingFileSchema.safeParse(stored);
    if (!result.success) {
      throw new HeflError(
        'invalid_data',
        `pending approvals file ${this.path} is invalid: ${zodProblems(result.error).join('; ')}`,
      );
    }
    return result.data.pending;
  }
}

/** The facts hospital IT needs to approve a job: what it trains, for how long, with what DP, for whom. */
export function pendingOfferOf(
  offer: { jobId: string; jobHash: string },
  job: { spec: JobSpec },
  researcher: string,
  nowMs: number,
): PendingOffer {
  const { spec } = job;
  return {
    jobId: offer.jobId,
    jobHash: offer.jobHash,
    name: spec.name,
    model: spec.model.kind,
    rounds: spec.rounds,
    dp: spec.dp
      ? `${spec.dp.unit}-level, epsilon ${spec.dp.epsilon}, delta ${spec.dp.delta}, clip norm ${spec.dp.clipNorm}`
      : null,
    researcher,
    offeredAt: new Date(nowMs).toISOString(),
    recruitUntil: new Date(nowMs + spec.recruitSeconds * 1000).toISOString(),
  };
}
