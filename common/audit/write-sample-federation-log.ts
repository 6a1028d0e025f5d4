import { join } from 'node:path';
import {
  generateSigningKeyPair,
  keyId,
  merkleRoot,
  type SigningKeyPair,
  sha256,
  toHex,
} from '../crypto/index.js';
import { AuditLogWriter } from './audit-log-writer.js';

export interface SampleFederationOptions {
  readonly sites?: number;
  readonly rounds?: number;
  /**
   * Simulates a dishonest coordinator that acknowledged `site`'s update in `round` (the site
   * logs the receipt) but left it out of the round. `logAccepted`: whether the coordinator
   * still logged `update.accepted` for it.
   */
  readonly drop?: { readonly round: number; readonly site: number; readonly logAccepted: boolean };
}

export interface SampleFederation {
  readonly coordinatorLog: string;
  readonly siteLogs: readonly string[];
  readonly coordinator: SigningKeyPair;
  readonly sites: readonly SigningKeyPair[];
  readonly siteIds: readonly string[];
  readonly entries: number;
}

/**
 * Writes a small, realistic coordinator log and one log per site into `dir` with the real
 * writers: admissions, a job, its acceptance, a key ceremony, rounds with accepted updates,
 * one refused upload, Merkle-rooted round closes, metrics, completion; each site logs what it
 * sent, its receipts, proof checks and the coordinator heads it saw. A fixture for tests,
 * the HTML report and demos; it holds no data of any kind.
 */
export function writeSampleFederationLog(
  dir: string,
  options: SampleFederationOptions = {},
): SampleFederation {
  const siteCount = options.sites ?? 3;
  const rounds = options.rounds ?? 3;
  let tick = Date.parse('2025-03-01T09:00:00Z');
  const clock = { now: () => (tick += 1500) };
  const coordinator = generateSigningKeyPair();
  const sites = Array.from({ length: siteCount }, () => generateSigningKeyPair());
  const siteIds = sites.map((s) => keyId(s.publicKey));
  const researcher = keyId(generateSigningKeyPair().publicKey);
  const coordinatorLog = join(dir, 'audit.jsonl');
  const siteLogs = siteIds.map((_, i) => join(dir, `site-${i + 1}.audit.jsonl`));
  const log = AuditLogWriter.open(coordinatorLog, coordinator, clock);
  const siteWriters = sites.map((s, i) => AuditLogWriter.open(siteLogs[i]!, s, clock));
  const jobId = 'job-heart-1';
  const jobHash = toHex(sha256(new TextEncoder().encode(jobId)));

  for (const site of siteIds) {
    log.append({
      actor: 'coordinator',
      action: 'federation.admit',
      cause: null,
      details: { member: site, role: 'site' },
    });
  }
  const submitted = log.append({
    actor: researcher,
    action: 'job.submitted',
    cause: null,
    details: { jobId, jobHash, rounds, minSites: 2 },
  }).seq;
  siteIds.forEach((site, i) => {
    log.append({ actor: site, action: 'job.accepted', cause: submitted, details: { jobId, jobHash } });
    siteWriters[i]!.append({
      actor: site,
      action: 'site.accepted',
      cause: null,
      details: { jobId, jobHash },
    });
  });
  log.append({
    actor: siteIds[0]!,
    action: 'key.ceremony',
    cause: submitted,
    details: { jobId, dealer: siteIds[0]!, bundleDigest: toHex(sha256(new TextEncoder().encode('bundle'))) },
  });

  for (let round = 1; round <= rounds; round += 1) {
    const opened = log.append({
      actor: 'coordinator',
      action: 'round.opened',
      cause: submitted,
      details: { jobId, round },
    }).seq;
    const participants: string[] = [];
    const digests: string[] = [];
    siteIds.forEach((site, i) => {
      const updateDigest = toHex(sha256(new TextEncoder().encode(`${jobId}/${round}/${site}`)));
      const bytes = 7_600_000 + i;
      siteWriters[i]!.append({
        actor: site,
        action: 'site.sent',
        cause: null,
        details: { jobId, round, updateDigest, bytes },
      });
      const dropped = options.drop?.round === round && options.drop.site === i;
      if (!dropped || options.drop?.logAccepted) {
        log.append({
          actor: site,
          action: 'update.accepted',
          cause: opened,
          details: { jobId, round, site, updateDigest, bytes },
        });
      }
      if (!dropped) {
        participants.push(site);
        digests.push(updateDigest);
      }
      siteWriters[i]!.append({
        actor: 'coordinator',
        action: 'site.receipt',
        cause: null,
        details: { jobId, round, updateDigest },
      });
    });
    if (round === 2) {
      log.append({
        actor: 'unknown-peer',
        action: 'update.refused',
        cause: opened,
        details: { jobId, round, reason: 'sender is not admitted to this federation' },
      });
    }
    const root = toHex(merkleRoot(digests.map((d) => Buffer.from(d, 'hex'))));
    log.append({
      actor: 'coordinator',
      action: 'round.closed',
      cause: opened,
      details: { jobId, round, participants, updateDigests: digests, merkleRoot: root },
    });
    const metrics = { accuracy: 0.6 + round * 0.03, auc: 0.65 + round * 0.03, loss: 0.7 - round * 0.05 };
    log.append({
      actor: 'coordinator',
      action: 'round.reported',
      cause: opened,
      details: { jobId, round, metrics },
    });
    const head = log.head();
    siteIds.forEach((site, i) => {
      siteWriters[i]!.append({
        actor: site,
        action: 'site.proof-verified',
        cause: null,
        details: { jobId, round },
      });
      siteWriters[i]!.append({
        actor: 'coordinator',
        action: 'site.head-seen',
        cause: null,
        details: { ...head },
      });
    });
  }
  log.append({ actor: 'coordinator', action: 'job.completed', cause: submitted, details: { jobId, rounds } });
  const finalHead = log.head();
  siteWriters[0]!.append({
    actor: 'coordinator',
    action: 'site.head-seen',
    cause: null,
    details: { ...finalHead },
  });
  const entries = log.last.seq;
  log.close();
  for (const w of siteWriters) w.close();
  return { coordinatorLog, siteLogs, coordinator, sites, siteIds, entries };
}
