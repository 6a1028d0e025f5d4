import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { verifyAuditLog } from '../../common/audit/audit-log-verifier.js';
import { verificationTitle } from '../../common/audit/audit-report-verification-html.js';
import { formatEntry, readTimeline } from '../../common/audit/audit-timeline.js';
import { RESEARCHER_HEADS_FILE } from '../../common/audit/researcher-head-record.js';
import { HeflError } from '../../common/errors/index.js';
import { type ExportOptions, exportAuditReport } from '../audit/export-audit-report.js';
import { formatAuditVerification } from '../audit/format-audit-verification.js';
import { researcherRecordFile } from '../audit/researcher-record-file.js';
import {
  type AuditTrustOptions,
  resolveAuditTrust,
  UNANCHORED_WARNING,
} from '../audit/resolve-audit-trust.js';

interface VerifyOptions extends AuditTrustOptions {
  siteLog?: string[];
  researcherRecord?: string[];
  everySignature?: boolean;
  json?: boolean;
}

/** `hefl audit verify | show | export`: what auditors run against coordinator and site logs. */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('verify, read and export tamper-evident audit logs');

  audit
    .command('verify')
    .description(
      'check hash chain, signatures, sequence, Merkle roots and site heads; exit 0 intact, 1 tampered',
    )
    .argument('<log>', 'coordinator audit log (audit.jsonl)')
    .option(
      '--site-log <log...>',
      'site audit logs to cross-check (signed heads, receipts, recorded site heads)',
    )
    .option(
      '--researcher-record <file...>',
      `researcher head records to cross-check (a researcher folder or its ${RESEARCHER_HEADS_FILE}, written by \`hefl model fetch\`)`,
    )
    .option(
      '--coordinator-key <hex>',
      "trust anchor: the coordinator's Ed25519 public key (64 hex characters)",
    )
    .option(
      '--coordinator-key-id <hex>',
      'trust anchor, with --federation-id and --manifest: the coordinator key id `hefl federation init` printed',
    )
    .option('--federation-id <id>', 'the federation the manifest must belong to')
    .option('--auditor-dir <dir>', "trust anchor: an admitted auditor's folder (its pinned coordinator.json)")
    .option('--manifest <file>', 'signed federation manifest (site keys); checked against the trust anchor')
    .option(
      '--unanchored',
      'no trust anchor: check against the key the --manifest names itself (proves log and manifest agree, not that they are genuine)',
    )
    .option(
      '--every-signature',
      "verify every entry's signature, not only the head's (large logs; slower, ~0.1 ms CPU per entry)",
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (log: string, opts: VerifyOptions) => {
      const keys = await resolveAuditTrust(opts);
      const verified = await verifyAuditLog(log, {
        trustedSigner: keys.coordinator,
        anchor: keys.anchor,
        siteLogs: opts.siteLog ?? [],
        researcherRecords: (opts.researcherRecord ?? []).map(researcherRecordFile),
        ...(keys.sites ? { trustedSiteSigners: keys.sites } : {}),
        ...(opts.everySignature ? { everySignature: true } : {}),
      });
      const result =
        keys.anchor.kind === 'unanchored'
          ? { ...verified, warnings: [UNANCHORED_WARNING, ...verified.warnings] }
          : verified;
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      for (const w of result.warnings) process.stderr.write(`hefl: warning: ${w}\n`);
      if (result.ok) {
        if (!opts.json) process.stdout.write(formatAuditVerification(result));
        return;
      }
      const bad = result.firstBad;
      const seq = bad.seq === undefined ? '' : ` (seq ${bad.seq})`;
      process.stderr.write(`hefl: audit log tampered: ${bad.file} line ${bad.line}${seq}: ${bad.reason}\n`);
      process.exitCode = 1;
    });

  audit
    .command('show')
    .description('print a readable timeline, optionally filtered')
    .argument('<log>', 'audit log (coordinator or site)')
    .option('--job <id>', 'only entries of this job')
    .option('--round <n>', 'only entries of this round', roundNumber)
    .option('--site <keyId>', 'only entries by or about this site (key id)')
    .action(async (log: string, opts: { job?: string; round?: number; site?: string }) => {
      // `hefl audit show LOG | head` closes the pipe early: stop reading instead of crashing.
      let closed = false;
      const onError = (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        closed = true;
      };
      // Left attached: an EPIPE can still be reported after the loop stops.
      process.stdout.on('error', onError);
      for await (const entry of readTimeline(log, opts)) {
        if (closed) break;
        process.stdout.write(`${formatEntry(entry)}\n`);
      }
    });

  audit
    .command('export')
    .description(
      'verify the log and write a self-contained, printable HTML report that embeds the result (exit 1 if tampered)',
    )
    .argument('<log>', 'coordinator audit log (audit.jsonl)')
    .requiredOption('--html <file>', 'where to write the report')
    .option(
      '--site-log <log...>',
      'site audit logs to cross-check (and where each site logged its DP spending)',
    )
    .option(
      '--researcher-record <file...>',
      'researcher head records to cross-check (a researcher folder or its file)',
    )
    .option(
      '--coordinator-key <hex>',
      "trust anchor: the coordinator's Ed25519 public key (64 hex characters)",
    )
    .option(
      '--coordinator-key-id <hex>',
      'trust anchor, with --federation-id and --manifest: the coordinator key id',
    )
    .option('--federation-id <id>', 'the federation the manifest must belong to')
    .option('--auditor-dir <dir>', "trust anchor: an admitted auditor's folder (its pinned coordinator.json)")
    .option('--manifest <file>', 'signed federation manifest (site keys); checked against the trust anchor')
    .action(async (log: string, opts: ExportOptions) => {
      const written = await exportAuditReport(log, opts);
      for (const w of written.verification.warnings) process.stderr.write(`hefl: warning: ${w}\n`);
      process.stdout.write(
        `wrote ${opts.html} (${written.entries} entries): ${verificationTitle(written.verification)}\n`,
      );
      if (written.verification.status === 'failed') {
        const f = written.verification.fault;
        const line = f.line === undefined ? '' : ` line ${f.line}`;
        process.stderr.write(
          `hefl: audit log tampered: ${f.file}${line}: ${f.reason} (the report says so)\n`,
        );
        process.exitCode = 1;
      } else if (written.verification.status === 'not verified') {
        process.stderr.write(
          `hefl: warning: the report is marked NOT VERIFIED: ${written.verification.reason}\n`,
        );
      }
    });
}

/** commander parser for `--round`: rounds are numbered from 0. */
function roundNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('--round must be a round number (0, 1, 2, ...)');
  }
  return n;
}
