import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntryHash } from './audit-entry.js';
import { type AuditVerification, type AuditVerifyOptions, verifyAuditLog } from './audit-log-verifier.js';
import { fastAuditEntry, fastEntryHash } from './fast-audit-entry.js';
import { parseAuditEntry } from './parse-audit-entry.js';
import { type SampleFederation, writeSampleFederationLog } from './write-sample-federation-log.js';

let dir: string;
let fed: SampleFederation;
let original: string[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hefl-audit-parallel-'));
  fed = writeSampleFederationLog(dir, { sites: 3, rounds: 4 });
  original = readFileSync(fed.coordinatorLog, 'utf8').split('\n').slice(0, -1);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The same verification on a worker thread (batches of ~3 entries, so links cross batch
 * edges; one worker, since each costs a tsx start-up here) and in this thread.
 */
async function bothWays(
  lines: readonly string[],
  extra: Partial<AuditVerifyOptions> = {},
): Promise<{ parallel: AuditVerification; sequential: AuditVerification }> {
  const path = join(dir, `log-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  const options: AuditVerifyOptions = {
    trustedSigner: fed.coordinator.publicKey,
    siteLogs: fed.siteLogs,
    trustedSiteSigners: fed.sites.map((s) => s.publicKey),
    ...extra,
  };
  const parallel = await verifyAuditLog(path, {
    ...options,
    parallel: 'always',
    workers: 2,
    batchBytes: 2000,
  });
  const sequential = await verifyAuditLog(path, { ...options, parallel: 'never' });
  return { parallel, sequential };
}

describe('verifyAuditLog on worker threads', () => {
  it('finds an intact log intact with the same head and the same cross-checks as the sequential pass', async () => {
    const { parallel, sequential } = await bothWays(original);

    expect(sequential.ok).toBe(true);
    expect(parallel).toMatchObject({ ok: true, entries: fed.entries, lastSeq: fed.entries });
    if (!parallel.ok || !sequential.ok) return;
    expect(parallel.lastHash).toBe(sequential.lastHash);
    const { signatureMode, signatures, ...shared } = parallel.checked;
    expect({ signatureMode, signatures }).toEqual({ signatureMode: 'head', signatures: 1 });
    expect(sequential.checked).toMatchObject({ ...shared, signatureMode: 'every', signatures: fed.entries });
    expect(shared.merkleRoots).toBe(4);
    expect(shared.receipts).toBe(12);
    expect(shared.coordinatorHeadsCrossChecked).toBeGreaterThan(0);
    expect(shared.siteLogs.map((s) => s.signaturesChecked)).toEqual([true, true, true]);
  });

  it('checks every signature on the workers when asked', async () => {
    const { parallel } = await bothWays(original, { everySignature: true });

    expect(parallel.ok && parallel.checked).toMatchObject({
      signatureMode: 'every',
      signatures: fed.entries,
    });
  });

  it('names the same first bad entry as the sequential pass for an altered, a re-hashed and a swapped entry', async () => {
    const altered = [...original];
    altered[9] = altered[9]!.replace('"round":1', '"round":7');
    const rehashed = [...original];
    const entry = JSON.parse(rehashed[20]!);
    entry.details = { ...entry.details, note: 'inserted' };
    entry.hash = Buffer.from(auditEntryHash(entry)).toString('hex');
    rehashed[20] = JSON.stringify(entry);
    const swapped = [...original];
    [swapped[30], swapped[31]] = [swapped[31]!, swapped[30]!];

    for (const lines of [altered, rehashed, swapped]) {
      const { parallel, sequential } = await bothWays(lines);
      expect(sequential.ok).toBe(false);
      expect(parallel.ok).toBe(false);
      if (parallel.ok || sequential.ok) continue;
      expect(parallel.firstBad).toEqual(sequential.firstBad);
    }
  }, 120_000); // three verifications, each starting a worker (1-2 s of CPU under tsx)

  it('fails a log whose head signature is forged (the head signature covers every entry)', async () => {
    const lines = [...original];
    const last = JSON.parse(lines[lines.length - 1]!);
    last.sig = Buffer.alloc(64, 7).toString('base64');
    lines[lines.length - 1] = JSON.stringify(last);

    const { parallel } = await bothWays(lines);

    expect(parallel.ok).toBe(false);
    if (!parallel.ok)
      expect(parallel.firstBad).toMatchObject({ line: lines.length, reason: 'signature invalid' });
  });
});

describe('fastAuditEntry and fastEntryHash', () => {
  it('accept what parseAuditEntry accepts and hash to the same bytes', () => {
    for (const line of original) {
      const entry = fastAuditEntry(line);
      expect(entry).toEqual(parseAuditEntry(line));
      expect(fastEntryHash(entry!).equals(Buffer.from(auditEntryHash(entry!)))).toBe(true);
    }
  });

  it('refuse what parseAuditEntry refuses', () => {
    const line = original[5]!;
    const e = JSON.parse(line);
    const variants = [
      '',
      '[]',
      JSON.stringify({ ...e, extra: 1 }),
      JSON.stringify({ ...e, seq: 0 }),
      JSON.stringify({ ...e, seq: 1.5 }),
      JSON.stringify({ ...e, time: '2025-13-01T00:00:00Z' }),
      JSON.stringify({ ...e, action: 'made.up' }),
      JSON.stringify({ ...e, cause: e.seq }),
      JSON.stringify({ ...e, details: [] }),
      JSON.stringify({ ...e, prev: e.prev.toUpperCase() }),
      JSON.stringify({ ...e, signer: 'ab' }),
      JSON.stringify({ ...e, sig: `${e.sig.slice(0, 85)}B==` }),
    ];
    for (const variant of variants) {
      expect(() => parseAuditEntry(variant)).toThrow();
      expect(fastAuditEntry(variant)).toBeUndefined();
    }
  });
});
