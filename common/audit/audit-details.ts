import { z } from 'zod';
import { auditHeadSchema } from './audit-head.js';

/*
 * The `details` shapes the verifier, the timeline and the report read. Other actions carry
 * free-form details (ids, reasons, counts); these are checked because cross-checks depend on
 * them. Digests are lower-case hex SHA-256; sites are named by key id.
 */

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex SHA-256 digest');
const id = z.string().min(1).max(128);
/** Rounds are numbered as the coordinator numbers them (from 0). */
const round = z.number().int().min(0);

/** `update.accepted`: the coordinator stored a site's update and returned a receipt. */
export const updateAcceptedDetails = z.object({
  jobId: id,
  round,
  /** Key id of the site that sent it. */
  site: id,
  /** SHA-256 of the update as uploaded (the Merkle leaf). */
  updateDigest: hex64,
  /** Upload size in bytes. */
  bytes: z.number().int().min(0),
  /** The run of the round (absent: 0); a round re-runs after an invalid aggregate. */
  attempt: z.number().int().min(0).optional(),
});

/**
 * `round.closed`: `participants[i]` sent the update with digest `updateDigests[i]`; the
 * Merkle root (RFC 6962, common/crypto/merkle-tree.ts) is over `updateDigests` in that order.
 */
export const roundClosedDetails = z
  .object({
    jobId: id,
    round,
    /** The run of the round (absent: 0). */
    attempt: z.number().int().min(0).optional(),
    participants: z.array(id),
    updateDigests: z.array(hex64),
    merkleRoot: hex64,
    /** Digest of the encrypted sum handed back to the sites (not cross-checked here). */
    aggregateDigest: z.string().optional(),
    /** Site -> hash of the global model that site computed (not cross-checked here). */
    modelHashes: z.record(z.string(), z.string()).optional(),
  })
  .refine((d) => d.participants.length === d.updateDigests.length, {
    message: 'participants and updateDigests must have the same length',
  });

/** `round.reported`: aggregate (never per-site) evaluation metrics, e.g. accuracy, auc, loss. */
export const roundReportedDetails = z.object({
  jobId: id,
  round,
  metrics: z.record(z.string(), z.number()).optional(),
});

/** `site.receipt` (site log): the coordinator acknowledged this site's update. */
export const siteReceiptDetails = z.object({
  jobId: id,
  round,
  updateDigest: hex64,
  /** The run of the round (absent: 0). */
  attempt: z.number().int().min(0).optional(),
});

/** `site.head-seen` (site log): the coordinator's signed head as the site received it. */
export const siteHeadSeenDetails = auditHeadSchema;

/**
 * A site's own signed log head as the coordinator recorded it: in `round.reported` (field
 * `siteHead`, with the report) and in `site-head.recorded` (when a site connects). The entry's
 * actor is the site's key id; `sig` is the site's signature over `auditHeadMessage(seq, hash)`.
 */
export const recordedSiteHeadDetails = z.object({ siteHead: auditHeadSchema });

export type UpdateAcceptedDetails = z.infer<typeof updateAcceptedDetails>;
export type RoundClosedDetails = z.infer<typeof roundClosedDetails>;
export type RoundReportedDetails = z.infer<typeof roundReportedDetails>;
export type SiteReceiptDetails = z.infer<typeof siteReceiptDetails>;
export type SiteHeadSeenDetails = z.infer<typeof siteHeadSeenDetails>;
