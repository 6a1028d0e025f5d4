import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_SITE_LOG_WARNING } from '../../common/audit/audit-log-verifier.js';
import { AuditLogWriter } from '../../common/audit/audit-log-writer.js';
import type { AuditVerification } from '../../common/audit/audit-verification.js';
import {
  type SampleFederation,
  writeSampleFederationLog,
} from '../../common/audit/write-sample-federation-log.js';
import { generateSigningKeyPair, keyId, type SigningKeyPair, toHex } from '../../common/crypto/index.js';
import { ERROR_CODES } from '../../common/errors/index.js';
import { createManifest, readKeyPairFile, type SignedManifest } from '../../common/identity/index.js';
import { runCli, runCliError } from '../../test/support/run-cli.js';
import { UNANCHORED_WARNING } from '../audit/resolve-audit-trust.js';

/** Runs `hefl audit verify ...` in-process; returns stdout, stderr and the exit code it set. */
async function verify(...args: string[]) {
  const stderr: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  try {
    const stdout = await runCli('audit', 'verify', ...args);
    return { stdout, stderr: stderr.join(''), exitCode: process.exitCode ?? 0 };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

let root: string;
let fed: SampleFederation;
let anchor: string[];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hefl-audit-verify-out-'));
  fed = writeSampleFederationLog(root, { sites: 3, rounds: 3 });
  anchor = ['--coordinator-key', toHex(fed.coordinator.publicKey)];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hefl audit verify says exactly what it checked', () => {
  it('lists signatures, chain, Merkle roots, receipts, each site log and the heads cross-checked, with the head hash', async () => {
    const out = await verify(fed.coordinatorLog, ...anchor, '--site-log', ...fed.siteLogs);

    expect(out.exitCode).toBe(0);
    const n = fed.entries;
    expect(out.stdout).toMatch(new RegExp(`^intact: ${n} entries, last seq ${n}, head [0-9a-f]{64}\\n`));
    expect(out.stdout).toContain(`trust anchor: coordinator key given by --coordinator-key`);
    expect(out.stdout).toContain(`coordinator key id ${keyId(fed.coordinator.publicKey)}`);
    expect(out.stdout).toContain(`signatures: ${n} entry signatures verified (every entry)`);
    expect(out.stdout).toContain(`hash chain: ${n} entries re-hashed and linked`);
    expect(out.stdout).toContain('Merkle roots: 3 rounds recomputed');
    expect(out.stdout).toContain('receipts: 9 site receipts found');
    for (const [i, file] of fed.siteLogs.entries()) {
      expect(out.stdout).toContain(`site log: ${file} (site key id ${fed.siteIds[i]}`);
    }
    expect(out.stdout).toMatch(/heads cross-checked: [1-9]\d* coordinator heads held by sites/);
    expect(out.stderr).not.toContain(NO_SITE_LOG_WARNING);

    const json = JSON.parse(
      (await verify(fed.coordinatorLog, ...anchor, '--site-log', ...fed.siteLogs, '--json')).stdout,
    ) as AuditVerification;
    expect(json).toMatchObject({
      ok: true,
      coordinatorKeyId: keyId(fed.coordinator.publicKey),
      anchor: { kind: 'key', source: '--coordinator-key' },
      checked: { signatureMode: 'every', signatures: n, chainLinks: n, merkleRoots: 3, receipts: 9 },
    });
    expect(json.checked.siteLogs).toHaveLength(3);
  });

  it('warns, in text and JSON, that without a site log truncation cannot be detected', async () => {
    const out = await verify(fed.coordinatorLog, ...anchor);

    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain('site logs: none given');
    expect(out.stderr).toContain(`hefl: warning: ${NO_SITE_LOG_WARNING}`);
    const json = JSON.parse(
      (await verify(fed.coordinatorLog, ...anchor, '--json')).stdout,
    ) as AuditVerification;
    expect(json.warnings).toContain(NO_SITE_LOG_WARNING);
  });
});

describe('hefl audit verify recognises a log given in the wrong place', () => {
  it('calls a site log given as LOG a site log (usage error, exit 2), not tampered', async () => {
    const error = await runCliError('audit', 'verify', fed.siteLogs[0]!, ...anchor);

    expect(error.code).toBe('invalid_argument');
    expect(ERROR_CODES[error.code].exitCode).toBe(2);
    expect(error.message).toMatch(/is a site audit log .*not the coordinator's: pass it with --site-log/);
    expect(error.message).not.toMatch(/tampered/);
  });

  it('calls the coordinator log given as --site-log a coordinator log (exit 2)', async () => {
    const error = await runCliError(
      'audit',
      'verify',
      fed.coordinatorLog,
      ...anchor,
      '--site-log',
      fed.coordinatorLog,
    );

    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/is a coordinator audit log .*not a site log/);
  });
  it('still calls a coordinator log whose first entry was edited into a site action tampered (exit 1)', async () => {
    const lines = (await readFile(fed.coordinatorLog, 'utf8')).split('\n');
    lines[0] = lines[0]!.replace(/"action":"[a-z.-]+"/, '"action":"site.sent"');
    const edited = join(root, 'edited.jsonl');
    await writeFile(edited, lines.join('\n'));

    const out = await verify(edited, ...anchor);

    expect(out.exitCode).toBe(1);
    expect(out.stderr).toMatch(/audit log tampered: .*edited\.jsonl line 1 \(seq 1\)/);
  });
});

describe('hefl audit verify without a trust anchor', () => {
  let manifestPath: string;
  let realKey: SigningKeyPair;
  beforeEach(async () => {
    const dir = join(root, 'coordinator');
    await runCli('federation', 'init', '--dir', dir, '--id', 'demo', '--host', 'coord.example');
    manifestPath = join(dir, 'manifest.json');
    realKey = await readKeyPairFile(join(dir, 'coordinator-signing-key.json'), 'ed25519');
  });

  function writeLog(path: string, signer: SigningKeyPair): void {
    const log = AuditLogWriter.open(path, signer, { now: () => Date.parse('2026-01-01T00:00:00Z') });
    log.append({ actor: 'coordinator', action: 'job.submitted', cause: null, details: { jobId: 'job-1' } });
    log.close();
  }

  it('refuses by default, saying what an unanchored check would mean', async () => {
    const log = join(root, 'own-audit.jsonl');
    writeLog(log, realKey);

    const error = await runCliError('audit', 'verify', log, '--manifest', manifestPath);

    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/state a trust anchor/);
    expect(error.message).toMatch(/unanchored: anyone who replaced key, manifest and log together passes/);
    expect(error.message).toMatch(/--unanchored/);
  });

  it('with --unanchored says plainly that the manifest vouched for itself, and a forged pair passes it', async () => {
    const log = join(root, 'own-audit.jsonl');
    writeLog(log, realKey);

    const genuine = await verify(log, '--manifest', manifestPath, '--unanchored');

    expect(genuine.exitCode).toBe(0);
    expect(genuine.stdout).toMatch(/^intact \(UNANCHORED\): 1 entries/);
    expect(genuine.stdout).toContain('trust anchor: NONE, the manifest');
    expect(genuine.stderr).toContain(`hefl: warning: ${UNANCHORED_WARNING}`);

    // What "unanchored" means: a forger's own key, manifest and log pass it too.
    const signed = JSON.parse(await readFile(manifestPath, 'utf8')) as SignedManifest;
    const forger = generateSigningKeyPair();
    const forgedManifest = join(root, 'forged-manifest.json');
    await writeFile(
      forgedManifest,
      JSON.stringify(
        createManifest(
          {
            federationId: signed.manifest.federationId,
            coordinatorSigningPublicKey: forger.publicKey,
            coordinatorTlsCertificateFingerprint: signed.manifest.coordinator.tlsCertificateFingerprint,
            caCertificatePem: signed.manifest.caCertificate,
          },
          forger.secretKey,
        ),
      ),
    );
    const forgedLog = join(root, 'forged.jsonl');
    writeLog(forgedLog, forger);
    const forged = await verify(forgedLog, '--manifest', forgedManifest, '--unanchored', '--json');
    const json = JSON.parse(forged.stdout) as AuditVerification;
    expect(json).toMatchObject({ ok: true, anchor: { kind: 'unanchored' } });
    expect(json.warnings[0]).toBe(UNANCHORED_WARNING);

    const both = await runCliError(
      'audit',
      'verify',
      log,
      '--manifest',
      manifestPath,
      '--unanchored',
      ...anchor,
    );
    expect(both.message).toMatch(/--unanchored means no trust anchor/);
  });
});
