/**
 * Measures `verifyAuditLog` on a generated coordinator log (default 1,000,000 entries):
 * wall time, entries per second, file size and peak resident memory during verification.
 *
 *   npx tsx experiments/audit-verify-bench.ts --entries 1000000 [--sites 10] [--keep]
 *
 * The log is realistic in shape: rounds of 10 sites (round.opened, one update.accepted per
 * site, round.closed with participants, digests and Merkle root, round.reported with
 * metrics), so the Merkle cross-check runs too. Generation skips fsync (the writer's fs is
 * injected) because only verification is measured.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyAuditLog } from '../common/audit/audit-log-verifier.js';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { generateSigningKeyPair, keyId, merkleRoot, sha256, toHex } from '../common/crypto/index.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    sites: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const total = Number(values.entries);
const siteCount = Number(values.sites);
if (!Number.isSafeInteger(total) || total < 1 || !Number.isSafeInteger(siteCount) || siteCount < 1) {
  throw new Error('--entries and --sites must be positive integers');
}

const dir = mkdtempSync(join(tmpdir(), 'hefl-audit-bench-'));
const path = join(dir, 'audit.jsonl');
const coordinator = generateSigningKeyPair();
const sites = Array.from({ length: siteCount }, () => keyId(generateSigningKeyPair().publicKey));
const noFsync = { ...fs, fsyncSync: () => undefined };

const genStart = performance.now();
const writer = AuditLogWriter.open(path, coordinator, { now: () => Date.now() }, noFsync);
let written = 0;
let round = 0;
const append = (record: Parameters<AuditLogWriter['append']>[0]) => {
  if (written < total) {
    written += 1;
    return writer.append(record).seq;
  }
  return 0;
};
while (written < total) {
  round += 1;
  const jobId = 'bench-job';
  const opened = append({
    actor: 'coordinator',
    action: 'round.opened',
    cause: null,
    details: { jobId, round },
  });
  const digests = sites.map((site) => toHex(sha256(new TextEncoder().encode(`${round}/${site}`))));
  sites.forEach((site, i) => {
    append({
      actor: site,
      action: 'update.accepted',
      cause: opened || null,
      details: { jobId, round, site, updateDigest: digests[i]!, bytes: 7_600_000 },
    });
  });
  const root = toHex(merkleRoot(digests.map((d) => Buffer.from(d, 'hex'))));
  append({
    actor: 'coordinator',
    action: 'round.closed',
    cause: opened || null,
    details: { jobId, round, participants: sites, updateDigests: digests, merkleRoot: root },
  });
  append({
    actor: 'coordinator',
    action: 'round.reported',
    cause: opened || null,
    details: { jobId, round, metrics: { accuracy: 0.7, auc: 0.8, loss: 0.5 } },
  });
  if (round % 5000 === 0) process.stderr.write(`generated ${written} entries\n`);
}
writer.close();
const genSeconds = (performance.now() - genStart) / 1000;
const bytes = statSync(path).size;

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let peakRss = rssBefore;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const start = performance.now();
const result = await verifyAuditLog(path, { trustedSigner: coordinator.publicKey });
const seconds = (performance.now() - start) / 1000;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const mb = (n: number) => Number((n / 1024 / 1024).toFixed(1));
const report = {
  entries: written,
  ok: result.ok,
  fileMB: mb(bytes),
  generateSeconds: Number(genSeconds.toFixed(1)),
  verifySeconds: Number(seconds.toFixed(1)),
  entriesPerSecond: Math.round(written / seconds),
  rssBeforeVerifyMB: mb(rssBefore),
  peakRssDuringVerifyMB: mb(peakRss),
  maxRssWholeProcessMB: mb(process.resourceUsage().maxRSS * 1024),
  node: process.version,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
if (values.keep) process.stderr.write(`log kept at ${path}\n`);
else rmSync(dir, { recursive: true, force: true });
