/**
 * Measures `verifyAuditLog` on a generated coordinator log (default 1,000,000 entries):
 * wall time, CPU time (all threads), entries per second, file size and peak resident memory
 * during verification.
 *
 *   npx tsx experiments/audit-verify-bench.ts --entries 1000000 [--sites 10] [--keep]
 *     [--log FILE]   reuse FILE (and FILE.pub, the coordinator key) or write them there
 *     [--mode auto|sequential|parallel|every] [--workers N]
 *
 * `sequential` is the one-thread pass (every signature, the only path before worker threads);
 * `parallel` the worker-thread pass (hash chain + head signature); `every` the worker-thread
 * pass checking every signature; `auto` what `hefl audit verify` does.
 * The log is realistic in shape: rounds of 10 sites (round.opened, one update.accepted per
 * site, round.closed with participants, digests and Merkle root, round.reported with
 * metrics), so the Merkle cross-check runs too. Generation skips fsync (the writer's fs is
 * injected) because only verification is measured.
 */
import * as fs from 'node:fs';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyAuditLog } from '../common/audit/audit-log-verifier.js';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { fromHex, generateSigningKeyPair, keyId, merkleRoot, sha256, toHex } from '../common/crypto/index.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    sites: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    log: { type: 'string' },
    mode: { type: 'string', default: 'auto' },
    workers: { type: 'string' },
  },
});
const modes = {
  auto: {},
  sequential: { parallel: 'never' },
  parallel: { parallel: 'always' },
  every: { parallel: 'always', everySignature: true },
} as const;
const mode = modes[values.mode as keyof typeof modes];
if (!mode) throw new Error('--mode must be auto, sequential, parallel or every');
const total = Number(values.entries);
const siteCount = Number(values.sites);
if (!Number.isSafeInteger(total) || total < 1 || !Number.isSafeInteger(siteCount) || siteCount < 1) {
  throw new Error('--entries and --sites must be positive integers');
}

const dir = mkdtempSync(join(tmpdir(), 'hefl-audit-bench-'));
const path = values.log ?? join(dir, 'audit.jsonl');
const reuse = values.log !== undefined && existsSync(path) && existsSync(`${path}.pub`);
const coordinator = generateSigningKeyPair();
const trustedSigner = reuse ? fromHex(readFileSync(`${path}.pub`, 'utf8').trim()) : coordinator.publicKey;
const sites = Array.from({ length: siteCount }, () => keyId(generateSigningKeyPair().publicKey));
const noFsync = { ...fs, fsyncSync: () => undefined };

const genStart = performance.now();
if (!reuse) generate();
function generate() {
  if (values.log) writeFileSync(`${path}.pub`, toHex(coordinator.publicKey));
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
}
const genSeconds = (performance.now() - genStart) / 1000;
const bytes = statSync(path).size;

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let peakRss = rssBefore;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const cpuBefore = process.cpuUsage();
const start = performance.now();
const result = await verifyAuditLog(path, {
  trustedSigner,
  ...mode,
  ...(values.workers ? { workers: Number(values.workers) } : {}),
});
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const entries = result.entries;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const mb = (n: number) => Number((n / 1024 / 1024).toFixed(1));
const report = {
  entries,
  ok: result.ok,
  mode: values.mode,
  signatureMode: result.checked.signatureMode,
  signaturesChecked: result.checked.signatures,
  merkleRoots: result.checked.merkleRoots,
  reusedLog: reuse,
  fileMB: mb(bytes),
  generateSeconds: Number(genSeconds.toFixed(1)),
  verifySeconds: Number(seconds.toFixed(1)),
  verifyCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
  entriesPerSecond: Math.round(entries / seconds),
  loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
  rssBeforeVerifyMB: mb(rssBefore),
  peakRssDuringVerifyMB: mb(peakRss),
  maxRssWholeProcessMB: mb(process.resourceUsage().maxRSS * 1024),
  node: process.version,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
if (values.keep || values.log) process.stderr.write(`log kept at ${path}\n`);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
