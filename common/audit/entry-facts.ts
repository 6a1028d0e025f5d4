import { fromHex, merkleRoot, toHex } from '../crypto/index.js';
import { nativeVerifier } from '../crypto/native-ed25519.js';
import { recordedSiteHeadDetails, roundClosedDetails, updateAcceptedDetails } from './audit-details.js';
import type { AuditEntry } from './audit-entry.js';
import { verifyAuditHead } from './audit-head.js';

/**
 * What one coordinator entry contributes to the checks that span entries (rounds, receipts,
 * site heads), reduced to plain data so a worker thread can extract it and the ordered pass
 * needs no re-parsing. `key` identifies a round run (job, round, attempt).
 */
export type EntryFact =
  | { readonly kind: 'accepted'; readonly key: string; readonly digest: string }
  | { readonly kind: 'lost'; readonly key: string; readonly digest: string }
  | {
      readonly kind: 'closed';
      readonly key: string;
      readonly jobId: string;
      readonly round: number;
      readonly digests: readonly string[];
    }
  | { readonly kind: 'site-head'; readonly site: string; readonly seq: number; readonly hash: string };

export const roundKey = (jobId: string, round: number, attempt = 0): string =>
  `${jobId}\u0000${round}\u0000${attempt}`;

/** Verifiers of the sites' head signatures, by site key id (from the manifest). */
export type SiteHeadVerifiers = ReadonlyMap<string, (message: Uint8Array, signature: Uint8Array) => boolean>;

export function siteHeadVerifiers(siteKeys: readonly Uint8Array[], keyIdOf: (k: Uint8Array) => string) {
  return new Map(siteKeys.map((k) => [keyIdOf(k), nativeVerifier(k)] as const));
}

/**
 * The fact one intact entry states, after the checks that need only that entry: detail
 * shapes, a round's Merkle root recomputed from its digests, a recorded site head's
 * signature (when the site's key is known). Returns `{ fault }` naming what is wrong.
 */
export function entryFact(
  entry: AuditEntry,
  siteVerifiers: SiteHeadVerifiers,
): EntryFact | { readonly fault: string } | undefined {
  switch (entry.action) {
    case 'update.accepted': {
      const d = updateAcceptedDetails.safeParse(entry.details);
      if (!d.success) return { fault: 'malformed update.accepted details' };
      return {
        kind: 'accepted',
        key: roundKey(d.data.jobId, d.data.round, d.data.attempt),
        digest: d.data.updateDigest,
      };
    }
    case 'update.lost': {
      const d = updateAcceptedDetails
        .pick({ jobId: true, round: true, updateDigest: true })
        .safeParse(entry.details);
      if (!d.success) return { fault: 'malformed update.lost details' };
      return { kind: 'lost', key: roundKey(d.data.jobId, d.data.round), digest: d.data.updateDigest };
    }
    case 'round.closed': {
      const parsed = roundClosedDetails.safeParse(entry.details);
      if (!parsed.success) {
        return { fault: `malformed round.closed details: ${parsed.error.issues[0]?.message}` };
      }
      const d = parsed.data;
      if (toHex(merkleRoot(d.updateDigests.map(fromHex))) !== d.merkleRoot) {
        return { fault: `round ${d.round} Merkle root does not match its update digests (job ${d.jobId})` };
      }
      return {
        kind: 'closed',
        key: roundKey(d.jobId, d.round, d.attempt),
        jobId: d.jobId,
        round: d.round,
        digests: d.updateDigests,
      };
    }
    case 'round.reported':
    case 'site-head.recorded': {
      if (entry.action === 'round.reported' && entry.details.siteHead === undefined) return undefined;
      const parsed = recordedSiteHeadDetails.safeParse(entry.details);
      if (!parsed.success) return { fault: `malformed siteHead in ${entry.action} details` };
      const head = parsed.data.siteHead;
      const verify = siteVerifiers.get(entry.actor);
      if (verify && !verifyAuditHead(head, verify)) {
        return { fault: `site head of ${entry.actor} carries a signature that site never made` };
      }
      return { kind: 'site-head', site: entry.actor, seq: head.seq, hash: head.hash };
    }
    default:
      return undefined;
  }
}
