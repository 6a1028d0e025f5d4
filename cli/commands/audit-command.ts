import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { AuditEntry } from '../../common/audit/audit-entry.js';
import { renderAuditReport } from '../../common/audit/audit-html-report.js';
import { verifyAuditLog } from '../../common/audit/audit-log-verifier.js';
import { formatEntry, readTimeline } from '../../common/audit/audit-timeline.js';
import { fromHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';

interface VerifyOptions {
  siteLog?: string[];
  coordinatorKey?: string;
  manifest?: string;
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
    .option('--site-log <log...>', 'site audit logs to cross-check (signed heads, receipts)')
    .option('--coordinator-key <hex>', "the coordinator's Ed25519 public key (64 hex characters)")
    .option('--manifest <file>', 'federation manifest naming the coordinator (and site) keys')
    .option('--json', 'print one JSON document on stdout')
    .action(async (log: string, opts: VerifyOptions) => {
      const keys = trustedKeys(opts);
      const result = await verifyAuditLog(log, {
        trustedSigner: keys.coordinator,
        siteLogs: opts.siteLog ?? [],
        ...(keys.sites ? { trustedSiteSigners: keys.sites } : {}),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.ok) {
        if (!opts.json) {
          process.stdout.write(
            `intact: ${result.entries} entries, last seq ${result.lastSeq}, head ${result.lastHash}\n`,
          );
          for (const w of result.warnings) process.stdout.write(`note: ${w}\n`);
        }
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
    .description('write a self-contained HTML report (timeline, rounds, participants, refusals, metrics)')
    .argument('<log>', 'audit log (coordinator or site)')
    .requiredOption('--html <file>', 'where to write the report')
    .action(async (log: string, opts: { html: string }) => {
      const entries: AuditEntry[] = [];
      for await (const entry of readTimeline(log)) entries.push(entry);
      try {
        writeFileSync(opts.html, renderAuditReport(entries));
      } catch (error) {
        throw new HeflError('invalid_argument', `cannot write ${opts.html}`, { cause: error });
      }
      process.stdout.write(`wrote ${opts.html} (${entries.length} entries)\n`);
    });
}

/**
 * The keys verification trusts, from exactly one of `--coordinator-key` or `--manifest`.
 * The manifest is read as `{ coordinator: { signingPublicKey } }`, optionally wrapped as
 * `{ manifest: ... }` (the signed form), with `members[]` of role `site` as site keys.
 * Its own signature is not checked here yet: TODO use common/identity's loader once settled.
 */
function trustedKeys(opts: VerifyOptions): { coordinator: Uint8Array; sites?: Uint8Array[] } {
  if ((opts.coordinatorKey === undefined) === (opts.manifest === undefined)) {
    throw new HeflError('invalid_argument', 'give exactly one of --coordinator-key HEX or --manifest FILE');
  }
  if (opts.coordinatorKey !== undefined)
    return { coordinator: publicKey(opts.coordinatorKey, '--coordinator-key') };
  const file = opts.manifest!;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new HeflError('invalid_argument', `cannot read manifest ${file}`, { cause: error });
  }
  const outer = (value ?? {}) as { manifest?: unknown };
  const manifest = (outer.manifest ?? outer) as {
    coordinator?: { signingPublicKey?: unknown };
    members?: { role?: unknown; signingPublicKey?: unknown; revokedAt?: unknown }[];
  };
  const coordinator = publicKey(
    manifest.coordinator?.signingPublicKey,
    `${file}: coordinator.signingPublicKey`,
  );
  if (!Array.isArray(manifest.members)) return { coordinator };
  const sites = manifest.members
    .filter((m) => m.role === 'site')
    .map((m, i) => publicKey(m.signingPublicKey, `${file}: site member ${i} signingPublicKey`));
  return { coordinator, sites };
}

function publicKey(hex: unknown, what: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new HeflError('invalid_argument', `${what} must be 64 hex characters (an Ed25519 public key)`);
  }
  return fromHex(hex);
}

/** commander parser for `--round`: rounds are numbered from 0. */
function roundNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('--round must be a round number (0, 1, 2, ...)');
  }
  return n;
}
