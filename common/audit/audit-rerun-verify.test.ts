import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, keyId, merkleRoot, sha256, toHex } from '../crypto/index.js';
import { verifyAuditLog } from './audit-log-verifier.js';
import { AuditLogWriter } from './audit-log-writer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hefl-audit-rerun-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const digest = (label: string) => toHex(sha256(new TextEncoder().encode(label)));

/**
 * A round whose first attempt was invalid and which re-ran: the site holds a receipt for
 * its update in each attempt, and each attempt's close lists only that attempt's update.
 */
function writeRerunLogs(options: { secondCloseLeavesOut: boolean }) {
  let tick = Date.parse('2025-03-01T09:00:00Z');
  const clock = { now: () => (tick += 1000) };
  const coordinator = generateSigningKeyPair();
  const site = generateSigningKeyPair();
  const siteId = keyId(site.publicKey);
  const log = AuditLogWriter.open(join(dir, 'audit.jsonl'), coordinator, clock);
  const siteLog = AuditLogWriter.open(join(dir, 'site.audit.jsonl'), site, clock);
  const jobId = 'job-rerun';
  const first = digest('attempt-0');
  const second = digest('attempt-1');
  for (const [attempt, updateDigest] of [
    [0, first],
    [1, second],
  ] as const) {
    const a: Record<string, number> = attempt > 0 ? { attempt } : {};
    log.append({
      actor: siteId,
      action: 'update.accepted',
      cause: null,
      details: { jobId, round: 0, site: siteId, updateDigest, bytes: 100, ...a },
    });
    siteLog.append({
      actor: 'coordinator',
      action: 'site.receipt',
      cause: null,
      details: { jobId, round: 0, updateDigest, ...a },
    });
    const leaves = attempt === 1 && options.secondCloseLeavesOut ? [] : [updateDigest];
    log.append({
      actor: 'coordinator',
      action: 'round.closed',
      cause: null,
      details: {
        jobId,
        round: 0,
        ...a,
        participants: leaves.length ? [siteId] : [],
        updateDigests: leaves,
        merkleRoot: toHex(merkleRoot(leaves.map((d) => Buffer.from(d, 'hex')))),
      },
    });
  }
  log.close();
  siteLog.close();
  return verifyAuditLog(join(dir, 'audit.jsonl'), {
    trustedSigner: coordinator.publicKey,
    siteLogs: [join(dir, 'site.audit.jsonl')],
    trustedSiteSigners: [site.publicKey],
  });
}

describe('audit verify across a re-run round', () => {
  it('accepts each attempt’s receipts against that attempt’s close', async () => {
    const result = await writeRerunLogs({ secondCloseLeavesOut: false });

    expect(result.ok ? 'intact' : result.firstBad.reason).toBe('intact');
  });

  it('still names a re-run close that leaves out a receipted update', async () => {
    const result = await writeRerunLogs({ secondCloseLeavesOut: true });

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.firstBad.reason).toMatch(/missing from round 0's Merkle root/);
  });
});
