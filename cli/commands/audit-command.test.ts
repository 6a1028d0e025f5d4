import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_SITE_LOG_WARNING } from '../../common/audit/audit-log-verifier.js';
import { AuditLogWriter } from '../../common/audit/audit-log-writer.js';
import { generateSigningKeyPair, keyId, type SigningKeyPair, toHex } from '../../common/crypto/index.js';
import {
  createManifest,
  MEMBER_FILES,
  readKeyPairFile,
  type SignedManifest,
} from '../../common/identity/index.js';
import { runCli, runCliError } from '../../test/support/run-cli.js';

/** Writes a small coordinator log signed by `signer`. */
function writeLog(path: string, signer: SigningKeyPair): void {
  let tick = Date.parse('2026-01-01T00:00:00Z');
  const log = AuditLogWriter.open(path, signer, { now: () => (tick += 1000) });
  log.append({ actor: 'coordinator', action: 'job.submitted', cause: null, details: { jobId: 'job-1' } });
  log.append({ actor: 'coordinator', action: 'job.completed', cause: null, details: { jobId: 'job-1' } });
  log.close();
}

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

describe('hefl audit verify: the manifest is checked against a trust anchor the auditor states', () => {
  let root: string;
  let coordinatorDir: string;
  let realKey: SigningKeyPair;
  let federationId: string;
  let genuine: SignedManifest;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'hefl-audit-cli-'));
    coordinatorDir = join(root, 'coordinator');
    await runCli('federation', 'init', '--dir', coordinatorDir, '--id', 'demo', '--host', 'coord.example');
    realKey = await readKeyPairFile(join(coordinatorDir, 'coordinator-signing-key.json'), 'ed25519');
    genuine = JSON.parse(await readFile(join(coordinatorDir, 'manifest.json'), 'utf8')) as SignedManifest;
    federationId = genuine.manifest.federationId;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /**
   * The attack: whoever holds the files swaps in their own coordinator key, re-signs the
   * manifest with it and rewrites the whole log with it. Every signature then verifies
   * against the key the manifest names; only an anchor from outside the files catches it.
   */
  async function forgeLogAndManifest(): Promise<{ log: string; manifest: string }> {
    const forger = generateSigningKeyPair();
    const forged = createManifest(
      {
        federationId,
        coordinatorSigningPublicKey: forger.publicKey,
        coordinatorTlsCertificateFingerprint: genuine.manifest.coordinator.tlsCertificateFingerprint,
        caCertificatePem: genuine.manifest.caCertificate,
      },
      forger.secretKey,
    );
    const manifest = join(root, 'forged-manifest.json');
    await writeFile(manifest, JSON.stringify(forged));
    const log = join(root, 'forged-audit.jsonl');
    writeLog(log, forger);
    return { log, manifest };
  }

  it('refuses a manifest whose coordinator key was replaced, and a manifest with no anchor at all', async () => {
    const { log, manifest } = await forgeLogAndManifest();

    // No anchor: the manifest would vouch for itself, so verify refuses to start.
    const unanchored = await runCliError('audit', 'verify', log, '--manifest', manifest);
    expect(unanchored.code).toBe('invalid_argument');
    expect(unanchored.message).toMatch(/state a trust anchor/);

    // The key id `hefl federation init` printed, with the federation id.
    const byKeyId = await runCliError(
      'audit',
      'verify',
      log,
      '--manifest',
      manifest,
      '--federation-id',
      federationId,
      '--coordinator-key-id',
      keyId(realKey.publicKey),
    );
    expect(byKeyId.code).toBe('integrity');
    expect(byKeyId.message).toMatch(/coordinator key replaced/);

    // The coordinator pinned in an auditor's folder.
    const auditorDir = join(root, 'auditor');
    await mkdir(auditorDir);
    await writeFile(
      join(auditorDir, MEMBER_FILES.coordinator),
      JSON.stringify({ federationId, signingPublicKey: toHex(realKey.publicKey) }),
    );
    const byPin = await runCliError(
      'audit',
      'verify',
      log,
      '--manifest',
      manifest,
      '--auditor-dir',
      auditorDir,
    );
    expect(byPin.code).toBe('integrity');
    expect(byPin.message).toMatch(/signature does not verify|different coordinator key/);
  });

  it('accepts the genuine manifest under its anchor, and warns that without site logs truncation goes unseen', async () => {
    const log = join(root, 'audit.jsonl');
    writeLog(log, realKey);
    const manifest = join(coordinatorDir, 'manifest.json');

    const wrongFederation = await runCliError(
      'audit',
      'verify',
      log,
      '--manifest',
      manifest,
      '--federation-id',
      'another-federation',
      '--coordinator-key-id',
      keyId(realKey.publicKey),
    );
    expect(wrongFederation.message).toMatch(/not "another-federation"/);

    const anchor = ['--federation-id', federationId, '--coordinator-key-id', keyId(realKey.publicKey)];
    const text = await verify(log, '--manifest', manifest, ...anchor);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^intact: 2 entries/);
    expect(text.stderr).toContain(`warning: ${NO_SITE_LOG_WARNING}`);
    expect(NO_SITE_LOG_WARNING).toMatch(/truncation .* cannot be detected/);

    const json = await verify(log, '--manifest', manifest, ...anchor, '--json');
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, warnings: [NO_SITE_LOG_WARNING] });
    expect(json.stderr).toContain(NO_SITE_LOG_WARNING);
  });
});
