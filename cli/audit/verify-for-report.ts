import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyAuditLog } from '../../common/audit/audit-log-verifier.js';
import { readLogLines } from '../../common/audit/read-log-lines.js';
import {
  MAX_FAULT_LINE_CHARS,
  type ReportFault,
  type ReportSourceFile,
  type ReportVerification,
} from '../../common/audit/report-verification.js';
import { keyId, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { MEMBER_FILES, readJsonFile } from '../../common/identity/index.js';
import { researcherRecordFile } from './researcher-record-file.js';
import { type AuditTrustOptions, resolveAuditTrust } from './resolve-audit-trust.js';

export interface ReportVerifyOptions extends AuditTrustOptions {
  readonly siteLog?: readonly string[];
  readonly researcherRecord?: readonly string[];
}

const NO_ANCHOR =
  'no trust anchor was given (--coordinator-key, --federation-id with --coordinator-key-id and --manifest, or --auditor-dir), so nothing in the log could be checked against a key the auditor trusts';

/**
 * Runs `hefl audit verify`'s verification for the HTML report and says what it found in the
 * report's terms. The one place that calls `verifyAuditLog` for a report (so a change of its
 * result type is adapted here). `closedRounds` is how many `round.closed` entries the log
 * holds (each one's Merkle root is checked). A manifest the anchor refuses is a failed
 * verification, not an error; usage problems (no such file, malformed key) still throw.
 */
export async function verifyForReport(
  log: string,
  opts: ReportVerifyOptions,
  closedRounds: number,
): Promise<ReportVerification> {
  const siteLogs = [...(opts.siteLog ?? [])];
  const records = (opts.researcherRecord ?? []).map(researcherRecordFile);
  const files = await Promise.all([
    describeFile('coordinator log', log),
    ...siteLogs.map((p) => describeFile('site log', p)),
    ...records.map((p) => describeFile('researcher record', p)),
    ...(opts.manifest === undefined ? [] : [describeFile('manifest', opts.manifest)]),
    ...(opts.auditorDir === undefined
      ? []
      : [describeFile('trust anchor', join(opts.auditorDir, MEMBER_FILES.coordinator))]),
  ]);
  const given = [opts.coordinatorKey, opts.coordinatorKeyId, opts.auditorDir].some((v) => v !== undefined);
  if (!given) return { status: 'not verified', reason: NO_ANCHOR, files, warnings: [] };

  let keys: Awaited<ReturnType<typeof resolveAuditTrust>>;
  try {
    keys = await resolveAuditTrust(opts);
  } catch (error) {
    if (!(HeflError.is(error) && error.code === 'integrity')) throw error;
    const fault: ReportFault = { file: opts.manifest ?? '', reason: error.message };
    return { status: 'failed', fault, anchor: anchorText(opts), files, warnings: [] };
  }
  const known = {
    anchor: anchorText(opts),
    coordinatorKey: { publicKey: toHex(keys.coordinator), keyId: keyId(keys.coordinator) },
    ...(await federationOf(opts)),
    files,
  };
  const result = await verifyAuditLog(log, {
    trustedSigner: keys.coordinator,
    siteLogs,
    researcherRecords: records,
    ...(keys.sites ? { trustedSiteSigners: keys.sites } : {}),
  });
  if (!result.ok) {
    const bad = result.firstBad;
    const text = await lineOf(bad.file, bad.line);
    const fault: ReportFault = { ...bad, ...(text === undefined ? {} : { text }) };
    return { ...known, status: 'failed', fault, warnings: result.warnings };
  }
  const checked = [
    `the hash chain and the coordinator's Ed25519 signature on each of the ${result.entries} entries, against coordinator key id ${known.coordinatorKey.keyId}`,
    `the Merkle root of each of the ${closedRounds} closed round(s) against the update digests it lists`,
    ...(opts.manifest === undefined
      ? []
      : [`the manifest ${opts.manifest}: signed by that key and naming the anchored federation`]),
    ...siteLogs.map(
      (p) =>
        `site log ${p}: its own chain and signatures${keys.sites ? ' (by a manifest site key)' : ' (site key not checked: no --manifest)'}; its receipts are in the rounds this log closed; the coordinator heads it kept match this log`,
    ),
    ...records.map((p) => `researcher record ${p}: the coordinator heads it kept match this log`),
  ];
  return {
    ...known,
    status: 'verified',
    entries: result.entries,
    lastSeq: result.lastSeq,
    headHash: result.lastHash,
    checked,
    warnings: result.warnings,
  };
}

function anchorText(opts: ReportVerifyOptions): string {
  if (opts.auditorDir !== undefined) return `--auditor-dir ${opts.auditorDir} (its pinned coordinator.json)`;
  if (opts.coordinatorKey !== undefined) return '--coordinator-key (stated on the command line)';
  return `--federation-id ${opts.federationId ?? ''} --coordinator-key-id ${opts.coordinatorKeyId ?? ''}`;
}

/** The federation the checked manifest or the pinned folder names (both checked by `resolveAuditTrust`). */
async function federationOf(opts: ReportVerifyOptions): Promise<{ federationId?: string }> {
  const named = async (path: string, read: (file: unknown) => unknown) => {
    const id = read(await readJsonFile(path, 'federation file'));
    return typeof id === 'string' ? { federationId: id } : {};
  };
  if (opts.manifest !== undefined) {
    return named(
      opts.manifest,
      (f) => (f as { manifest?: { federationId?: unknown } }).manifest?.federationId,
    );
  }
  if (opts.auditorDir !== undefined) {
    return named(
      join(opts.auditorDir, MEMBER_FILES.coordinator),
      (f) => (f as { federationId?: unknown }).federationId,
    );
  }
  if (opts.federationId !== undefined) {
    return { federationId: `${opts.federationId} (stated on the command line; no manifest checked)` };
  }
  return {};
}

async function describeFile(role: string, path: string): Promise<ReportSourceFile> {
  try {
    const { size } = await stat(path);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { role, path, bytes: size, sha256: hash.digest('hex') };
  } catch {
    return { role, path }; // verification names the unreadable file
  }
}

/** Line `line` of `file` as it holds it (cut), or undefined when the file is shorter. */
async function lineOf(file: string, line: number): Promise<string | undefined> {
  try {
    for await (const l of readLogLines(file)) {
      if (l.line === line) return l.text.slice(0, MAX_FAULT_LINE_CHARS);
    }
  } catch {
    // unreadable now: the fault itself says what is wrong
  }
  return undefined;
}
