import { fromHex, keyId, merkleRoot, toHex } from '../crypto/index.js';
import { nativeVerifier } from '../crypto/native-ed25519.js';
import { AuditChainChecker, type AuditFault } from './audit-chain-checker.js';
import {
  roundClosedDetails,
  siteHeadSeenDetails,
  siteReceiptDetails,
  updateAcceptedDetails,
} from './audit-details.js';
import { type AuditEntry, COORDINATOR_AUDIT_ACTIONS } from './audit-entry.js';
import { type AuditHead, verifyAuditHead } from './audit-head.js';
import { readLogLines } from './read-log-lines.js';
import { readSiteLog } from './read-site-log.js';
import { parseResearcherHeadLine } from './researcher-head-record.js';
import { checkSiteLogAgainstHead, collectSiteHead, type RecordedSiteHead } from './site-head-check.js';

/** Said (stderr and --json) whenever no site log is given: the tail is then unprovable. */
export const NO_SITE_LOG_WARNING =
  'no site log given: truncation or a rewritten tail of this log cannot be detected (pass --site-log for every site)';

export interface AuditVerifyOptions {
  /** The coordinator's Ed25519 public key, from the federation manifest (never from the log). */
  readonly trustedSigner: Uint8Array;
  /**
   * Site logs to cross-check against the coordinator log (signed heads, receipts), and the
   * coordinator log's records of each site's own signed head against them.
   */
  readonly siteLogs?: readonly string[];
  /**
   * Researcher head records (`audit-heads.jsonl` written by `hefl model fetch`): coordinator
   * heads the researcher was handed, checked like the heads sites logged.
   */
  readonly researcherRecords?: readonly string[];
  /**
   * Site public keys (from the manifest). Each site log must be signed by one of them; when
   * omitted, site-log signatures are not checked (reported in `warnings`). The evidence the
   * cross-checks use is still sound: heads carry the coordinator's own signature.
   */
  readonly trustedSiteSigners?: readonly Uint8Array[];
}

export type AuditVerification =
  | {
      readonly ok: true;
      readonly entries: number;
      readonly lastSeq: number;
      readonly lastHash: string;
      readonly warnings: readonly string[];
    }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly firstBad: AuditFault;
      readonly warnings: readonly string[];
    };

interface Evidence {
  readonly file: string;
  readonly line: number;
  readonly site: string;
}
interface HeadSeen extends Evidence {
  readonly hash: string;
}
interface Receipt extends Evidence {
  readonly digest: string;
}

const COORDINATOR_ACTIONS = new Set(COORDINATOR_AUDIT_ACTIONS);
const roundKey = (jobId: string, round: number, attempt = 0) => `${jobId}\u0000${round}\u0000${attempt}`;
const short = (hex: string) => `${hex.slice(0, 16)}…`;

/**
 * Verifies a coordinator audit log and, optionally, site logs against it. Streams every
 * file (memory grows with the site logs' evidence and the rounds still open, never with the
 * coordinator log). Reports the first fault; site logs are read first since the coordinator
 * log is judged against them. Throws `invalid_argument` if a file cannot be read.
 */
export async function verifyAuditLog(path: string, options: AuditVerifyOptions): Promise<AuditVerification> {
  const warnings: string[] = [];
  if ((options.siteLogs ?? []).length === 0) warnings.push(NO_SITE_LOG_WARNING);
  const verifyCoordinator = nativeVerifier(options.trustedSigner);
  const heads = new Map<number, HeadSeen>();
  const receipts = new Map<string, Receipt[]>();
  const siteLogSigners: { file: string; signer: string }[] = [];
  let highestHead: (HeadSeen & { seq: number }) | undefined;
  const failed = (firstBad: AuditFault): AuditVerification => ({ ok: false, entries: 0, firstBad, warnings });

  /** A coordinator head someone holds; returns why it contradicts another, if it does. */
  const seeHead = (head: AuditHead, seen: HeadSeen): string | undefined => {
    if (!verifyAuditHead(head, verifyCoordinator)) return 'coordinator head signature invalid';
    const other = heads.get(head.seq);
    if (other && other.hash !== seen.hash) {
      return `coordinator signed two different heads for seq ${head.seq} (${other.site} and ${seen.site})`;
    }
    heads.set(head.seq, seen);
    if (!highestHead || head.seq > highestHead.seq) highestHead = { ...seen, seq: head.seq };
    return undefined;
  };

  for (const sitePath of options.siteLogs ?? []) {
    let signer: string | undefined;
    const siteResult = await readSiteLog(
      sitePath,
      options.trustedSiteSigners,
      warnings,
      (entry, line, site) => {
        signer ??= site;
        const bad = (reason: string): AuditFault => ({ file: sitePath, line, seq: entry.seq, reason });
        if (entry.action === 'site.head-seen') {
          const head = siteHeadSeenDetails.safeParse(entry.details);
          if (!head.success) return bad('malformed site.head-seen details');
          const problem = seeHead(head.data, {
            file: sitePath,
            line,
            site: `site ${site}`,
            hash: head.data.hash,
          });
          if (problem) return bad(problem);
        } else if (entry.action === 'site.receipt') {
          const receipt = siteReceiptDetails.safeParse(entry.details);
          if (!receipt.success) return bad('malformed site.receipt details');
          const key = roundKey(receipt.data.jobId, receipt.data.round, receipt.data.attempt);
          const list = receipts.get(key) ?? [];
          list.push({ file: sitePath, line, site, digest: receipt.data.updateDigest });
          receipts.set(key, list);
        }
        return undefined;
      },
    );
    if (siteResult) return failed(siteResult);
    if (signer) siteLogSigners.push({ file: sitePath, signer });
  }

  for (const recordPath of options.researcherRecords ?? []) {
    for await (const { text, line } of readLogLines(recordPath)) {
      if (text.trim() === '') continue;
      const record = parseResearcherHeadLine(text);
      const bad = (reason: string): AuditVerification => failed({ file: recordPath, line, reason });
      if (typeof record === 'string') return bad(record);
      const problem = seeHead(record.head, {
        file: recordPath,
        line,
        site: `the researcher (${recordPath})`,
        hash: record.head.hash,
      });
      if (problem) return bad(problem);
    }
  }

  const checker = new AuditChainChecker({
    file: path,
    signerId: keyId(options.trustedSigner),
    verify: verifyCoordinator,
    actions: COORDINATOR_ACTIONS,
  });
  const siteKeys = new Map((options.trustedSiteSigners ?? []).map((k) => [keyId(k), k] as const));
  const siteHeads = new Map<string, RecordedSiteHead>();
  const openRounds = new Map<string, Set<string>>();
  let entries = 0;
  let lines = 0;
  for await (const { text, line } of readLogLines(path)) {
    lines = line;
    const step = checker.check(text, line);
    if ('fault' in step) return { ok: false, entries, firstBad: step.fault, warnings };
    if ('held' in step) continue;
    entries += 1;
    const fault =
      crossCheck(step.entry, line, path, heads, receipts, openRounds) ??
      collectSiteHead(step.entry, line, path, siteKeys, siteHeads);
    if (fault) return { ok: false, entries, firstBad: fault, warnings };
  }
  const tail = checker.finish();
  if (tail) return { ok: false, entries, firstBad: tail, warnings };

  const lastSeq = checker.lastSeq;
  if (highestHead && highestHead.seq > lastSeq) {
    const reason = `log truncated: ${highestHead.site} saw head seq ${highestHead.seq} but the log ends at ${lastSeq} (evidence: ${highestHead.file}:${highestHead.line})`;
    return {
      ok: false,
      entries,
      firstBad: { file: path, line: lines + 1, seq: lastSeq + 1, reason },
      warnings,
    };
  }
  for (const { file, signer } of siteLogSigners) {
    const recorded = siteHeads.get(signer);
    const fault = recorded && (await checkSiteLogAgainstHead(file, recorded));
    if (fault) return { ok: false, entries, firstBad: fault, warnings };
  }
  for (const list of receipts.values()) {
    for (const r of list) warnings.push(`${r.file}:${r.line}: receipt for a round the log never closed`);
  }
  return { ok: true, entries, lastSeq, lastHash: checker.lastHash, warnings };
}

/** Checks one intact coordinator entry against the site evidence and the rounds it closes. */
function crossCheck(
  entry: AuditEntry,
  line: number,
  file: string,
  heads: ReadonlyMap<number, HeadSeen>,
  receipts: Map<string, Receipt[]>,
  openRounds: Map<string, Set<string>>,
): AuditFault | undefined {
  const bad = (reason: string): AuditFault => ({ file, line, seq: entry.seq, reason });
  const head = heads.get(entry.seq);
  if (head && head.hash !== entry.hash) {
    return bad(
      `entry differs from the signed head ${head.site} saw (${head.file}:${head.line}): log rewritten`,
    );
  }
  if (entry.action === 'update.accepted') {
    const d = updateAcceptedDetails.safeParse(entry.details);
    if (!d.success) return bad('malformed update.accepted details');
    const key = roundKey(d.data.jobId, d.data.round, d.data.attempt);
    const accepted = openRounds.get(key) ?? new Set<string>();
    accepted.add(d.data.updateDigest);
    openRounds.set(key, accepted);
  } else if (entry.action === 'update.lost') {
    // The coordinator found an accepted update's blob damaged and said so: the round closes
    // without it (the site's receipt shows the loss, and this entry is the admission).
    const d = updateAcceptedDetails
      .pick({ jobId: true, round: true, updateDigest: true })
      .safeParse(entry.details);
    if (!d.success) return bad('malformed update.lost details');
    const key = roundKey(d.data.jobId, d.data.round);
    openRounds.get(key)?.delete(d.data.updateDigest);
    const kept = (receipts.get(key) ?? []).filter((r) => r.digest !== d.data.updateDigest);
    receipts.set(key, kept);
  } else if (entry.action === 'round.closed') {
    const parsed = roundClosedDetails.safeParse(entry.details);
    if (!parsed.success) return bad(`malformed round.closed details: ${parsed.error.issues[0]?.message}`);
    const d = parsed.data;
    const where = `round ${d.round}'s Merkle root (job ${d.jobId})`;
    if (toHex(merkleRoot(d.updateDigests.map(fromHex))) !== d.merkleRoot) {
      return bad(`round ${d.round} Merkle root does not match its update digests (job ${d.jobId})`);
    }
    const leaves = new Set(d.updateDigests);
    const key = roundKey(d.jobId, d.round, d.attempt);
    for (const digest of openRounds.get(key) ?? []) {
      if (!leaves.has(digest)) return bad(`accepted update ${short(digest)} missing from ${where}`);
    }
    openRounds.delete(key);
    for (const r of receipts.get(key) ?? []) {
      if (!leaves.has(r.digest)) {
        return bad(
          `receipt for update ${short(r.digest)} (site ${r.site}, ${r.file}:${r.line}) missing from ${where}`,
        );
      }
    }
    receipts.delete(key);
  }
  return undefined;
}
