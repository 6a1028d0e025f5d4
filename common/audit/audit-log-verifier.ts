import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { keyId } from '../crypto/index.js';
import { nativeVerifier } from '../crypto/native-ed25519.js';
import { AuditChainChecker, type AuditFault } from './audit-chain-checker.js';
import { siteHeadSeenDetails, siteReceiptDetails } from './audit-details.js';
import { COORDINATOR_AUDIT_ACTIONS } from './audit-entry.js';
import { type AuditHead, verifyAuditHead } from './audit-head.js';
import { expectAuditLogKind } from './audit-log-kind.js';
import type { AuditAnchor, AuditChecks, AuditVerification, SiteLogCheck } from './audit-verification.js';
import { entryFact, roundKey, siteHeadVerifiers } from './entry-facts.js';
import { scanLogInParallel } from './parallel-log-scan.js';
import { readLogLines } from './read-log-lines.js';
import { readSiteLog } from './read-site-log.js';
import { parseResearcherHeadLine } from './researcher-head-record.js';
import { type HeadSeen, type Receipt, RoundLedger } from './round-ledger.js';
import { checkSiteLogAgainstHead } from './site-head-check.js';

export type { AuditAnchor, AuditChecks, AuditVerification, SiteLogCheck } from './audit-verification.js';

/** Said (stderr and --json) whenever no site log is given: the tail is then unprovable. */
export const NO_SITE_LOG_WARNING =
  'no site log given: truncation or a rewritten tail of this log cannot be detected (pass --site-log for every site)';

/** Logs at least this large are checked on worker threads (below, starting them costs more than it saves). */
export const PARALLEL_MIN_BYTES = 8 << 20;

export interface AuditVerifyOptions {
  /** The coordinator's Ed25519 public key, from the trust anchor (never from the log). */
  readonly trustedSigner: Uint8Array;
  /** Where `trustedSigner` came from; echoed in the result (default: a key the caller gave). */
  readonly anchor?: AuditAnchor;
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
  /**
   * `auto` (default): logs of `PARALLEL_MIN_BYTES` or more on worker threads, checking the
   * head's signature (see `AuditChecks.signatureMode`); smaller logs in this thread, checking
   * every signature. `always` / `never` force one way (tests, benchmarks).
   */
  readonly parallel?: 'auto' | 'always' | 'never';
  /** Verify every entry's signature on the parallel path too (slower: ~0.1 ms CPU each). */
  readonly everySignature?: boolean;
  /** Worker threads for the parallel path (default: the cores available). */
  readonly workers?: number;
  /** Bytes per worker batch (default 1 MiB; tests make it small to cross batch edges). */
  readonly batchBytes?: number;
}

const COORDINATOR_ACTIONS = new Set(COORDINATOR_AUDIT_ACTIONS);

/**
 * Verifies a coordinator audit log and, optionally, site logs and researcher records against
 * it, and says what it checked. Streams every file (memory grows with the site logs'
 * evidence and the rounds still open, never with the coordinator log). Reports the first
 * fault; a log the parallel pass is unsure of is verified again sequentially, which names
 * the first bad entry. Throws `invalid_argument` if a file cannot be read or is the wrong
 * kind of log (a site log given as the coordinator's, or the reverse).
 */
export async function verifyAuditLog(path: string, options: AuditVerifyOptions): Promise<AuditVerification> {
  const coordinatorKeyId = keyId(options.trustedSigner);
  await expectAuditLogKind(path, 'coordinator', coordinatorKeyId);
  for (const site of options.siteLogs ?? []) await expectAuditLogKind(site, 'site', coordinatorKeyId);

  const anchor: AuditAnchor = options.anchor ?? { kind: 'key', source: 'the caller' };
  const warnings: string[] = [];
  if ((options.siteLogs ?? []).length === 0) warnings.push(NO_SITE_LOG_WARNING);
  const verifyCoordinator = nativeVerifier(options.trustedSigner);
  const heads = new Map<number, HeadSeen>();
  const receipts = new Map<string, Receipt[]>();
  const siteLogs: SiteLogCheck[] = [];
  let highestHead: (HeadSeen & { seq: number }) | undefined;
  const checked = {
    log: path,
    coordinatorKeyId,
    signatureMode: 'every' as AuditChecks['signatureMode'],
    signatures: 0,
    chainLinks: 0,
    merkleRoots: 0,
    receipts: 0,
    siteLogs,
    researcherRecords: [] as string[],
    coordinatorHeadsCrossChecked: 0,
    siteHeadsCrossChecked: 0,
  };
  const base = () => ({
    warnings,
    anchor,
    coordinatorKeyId,
    ...(anchor.federationId !== undefined ? { federationId: anchor.federationId } : {}),
    checked: { ...checked, siteLogs: [...siteLogs], researcherRecords: [...checked.researcherRecords] },
  });
  const failed = (firstBad: AuditFault, entries = 0): AuditVerification => ({
    ok: false,
    entries,
    firstBad,
    ...base(),
  });

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
    let entries = 0;
    const siteResult = await readSiteLog(
      sitePath,
      options.trustedSiteSigners,
      warnings,
      (entry, line, site) => {
        signer ??= site;
        entries += 1;
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
    siteLogs.push({
      file: sitePath,
      signer: signer ?? '',
      entries,
      signaturesChecked: options.trustedSiteSigners !== undefined,
    });
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
    checked.researcherRecords.push(recordPath);
  }

  const siteKeys = options.trustedSiteSigners ?? [];
  const siteVerifiers = siteHeadVerifiers(siteKeys, keyId);
  let scan:
    | { entries: number; lastSeq: number; lastHash: string; lines: number; ledger: RoundLedger }
    | undefined;
  if (await useParallel(path, options)) {
    const ledger = new RoundLedger(path, heads, copyReceipts(receipts));
    const result = await scanLogInParallel(
      path,
      {
        signerId: coordinatorKeyId,
        coordinatorKey: options.trustedSigner,
        everySignature: options.everySignature === true,
        siteKeys,
        headSeqs: ledger.headSeqs(),
        workers: options.workers ?? availableParallelism(),
        ...(options.batchBytes !== undefined ? { batchBytes: options.batchBytes } : {}),
      },
      ([line, seq, hash, fact]) => ledger.apply(seq, hash, line, fact),
    );
    const headSigned =
      result.kind === 'intact' &&
      (result.entries === 0 ||
        options.everySignature === true ||
        verifyCoordinator(Buffer.from(result.lastHash, 'hex'), Buffer.from(result.lastSig, 'base64')));
    if (result.kind === 'intact' && headSigned) {
      checked.signatureMode = options.everySignature === true ? 'every' : 'head';
      checked.signatures = options.everySignature === true ? result.signatures : result.entries > 0 ? 1 : 0;
      scan = { ...result, lines: result.entries, ledger };
    }
  }
  if (!scan) {
    // The exact pass: line by line in this thread, every signature, naming the first fault.
    const ledger = new RoundLedger(path, heads, receipts);
    const checker = new AuditChainChecker({
      file: path,
      signerId: coordinatorKeyId,
      verify: verifyCoordinator,
      actions: COORDINATOR_ACTIONS,
    });
    let entries = 0;
    let lines = 0;
    for await (const { text, line } of readLogLines(path)) {
      lines = line;
      const step = checker.check(text, line);
      if ('fault' in step) return failed(step.fault, entries);
      if ('held' in step) continue;
      entries += 1;
      const fault = ledger.apply(step.entry.seq, step.entry.hash, line, entryFact(step.entry, siteVerifiers));
      if (fault) return failed(fault, entries);
    }
    const tail = checker.finish();
    if (tail) return failed(tail, entries);
    checked.signatureMode = 'every';
    checked.signatures = entries;
    scan = { entries, lastSeq: checker.lastSeq, lastHash: checker.lastHash, lines, ledger };
  }
  const { entries, lastSeq, lastHash, lines, ledger } = scan;
  checked.chainLinks = entries;
  checked.merkleRoots = ledger.merkleRoots;
  checked.receipts = ledger.receiptsMatched;
  checked.coordinatorHeadsCrossChecked = ledger.headsMatched;

  if (highestHead && highestHead.seq > lastSeq) {
    const reason = `log truncated: ${highestHead.site} saw head seq ${highestHead.seq} but the log ends at ${lastSeq} (evidence: ${highestHead.file}:${highestHead.line})`;
    return failed({ file: path, line: lines + 1, seq: lastSeq + 1, reason }, entries);
  }
  for (const [i, site] of siteLogs.entries()) {
    const recorded = ledger.siteHeads.get(site.signer);
    if (!recorded) continue;
    const fault = await checkSiteLogAgainstHead(site.file, recorded);
    if (fault) return failed(fault, entries);
    siteLogs[i] = { ...site, headChecked: recorded.seq };
    checked.siteHeadsCrossChecked += 1;
  }
  for (const list of ledger.receipts.values()) {
    for (const r of list) warnings.push(`${r.file}:${r.line}: receipt for a round the log never closed`);
  }
  return { ok: true, entries, lastSeq, lastHash, ...base() };
}

async function useParallel(path: string, options: AuditVerifyOptions): Promise<boolean> {
  if (options.parallel === 'always') return true;
  if (options.parallel === 'never') return false;
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  return size >= PARALLEL_MIN_BYTES;
}

function copyReceipts(receipts: ReadonlyMap<string, Receipt[]>): Map<string, Receipt[]> {
  return new Map([...receipts].map(([k, v]) => [k, [...v]] as const));
}
