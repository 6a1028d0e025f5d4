import { nativeVerifier } from '../crypto/native-ed25519.js';
import { HeflError } from '../errors/index.js';
import type { AuditFault } from './audit-chain-checker.js';
import { recordedSiteHeadDetails } from './audit-details.js';
import type { AuditEntry } from './audit-entry.js';
import { verifyAuditHead } from './audit-head.js';
import { parseAuditEntry } from './parse-audit-entry.js';
import { readLogLines } from './read-log-lines.js';

/** The highest signed head of one site's log that the coordinator recorded, and where. */
export interface RecordedSiteHead {
  readonly seq: number;
  readonly hash: string;
  readonly coordinatorFile: string;
  readonly coordinatorLine: number;
}

/**
 * Checks a site log (whose own chain already verified) against the highest head of it the
 * coordinator recorded: the log must reach that seq, and that entry must have the hash the
 * site signed. The chain's prev links then fix every earlier entry too, so one head suffices.
 * Catches a site that dropped the tail of its log or rewrote it with its own key. Streams.
 */
export async function checkSiteLogAgainstHead(
  file: string,
  recorded: RecordedSiteHead,
): Promise<AuditFault | undefined> {
  const where = `${recorded.coordinatorFile} line ${recorded.coordinatorLine}`;
  let lastSeq = 0;
  let lines = 0;
  for await (const { text, line } of readLogLines(file)) {
    lines = line;
    let seq: number;
    let hash: string;
    try {
      ({ seq, hash } = parseAuditEntry(text));
    } catch (error) {
      const why = error instanceof HeflError ? error.message : 'unreadable';
      return { file, line, reason: `changed while being verified: ${why}` };
    }
    lastSeq = seq;
    if (seq !== recorded.seq) continue;
    if (hash === recorded.hash) return undefined;
    return {
      file,
      line,
      seq,
      reason: `site log rewritten: entry ${seq} differs from the head the site signed and the coordinator recorded (${where})`,
    };
  }
  return {
    file,
    line: lines + 1,
    seq: lastSeq + 1,
    reason: `site log truncated: the coordinator recorded this site's signed head at seq ${recorded.seq} (${where}) but the log ends at seq ${lastSeq}`,
  };
}

/**
 * Keeps the highest signed head of each site's own log that the coordinator recorded
 * (`siteHead` in `round.reported` or `site-head.recorded`; the actor is the site's key id).
 * Memory grows with the number of sites, not with the log. A head the site's key (when
 * known) did not sign is a fault: the coordinator cannot vouch for what a site never said.
 */
export function collectSiteHead(
  entry: AuditEntry,
  line: number,
  file: string,
  siteKeys: ReadonlyMap<string, Uint8Array>,
  siteHeads: Map<string, RecordedSiteHead>,
): AuditFault | undefined {
  if (entry.action !== 'round.reported' && entry.action !== 'site-head.recorded') return undefined;
  if (entry.action === 'round.reported' && entry.details.siteHead === undefined) return undefined;
  const bad = (reason: string): AuditFault => ({ file, line, seq: entry.seq, reason });
  const parsed = recordedSiteHeadDetails.safeParse(entry.details);
  if (!parsed.success) return bad(`malformed siteHead in ${entry.action} details`);
  const head = parsed.data.siteHead;
  const key = siteKeys.get(entry.actor);
  if (key && !verifyAuditHead(head, nativeVerifier(key))) {
    return bad(`site head of ${entry.actor} carries a signature that site never made`);
  }
  const known = siteHeads.get(entry.actor);
  if (!known || head.seq >= known.seq) {
    siteHeads.set(entry.actor, {
      seq: head.seq,
      hash: head.hash,
      coordinatorFile: file,
      coordinatorLine: line,
    });
  }
  return undefined;
}
