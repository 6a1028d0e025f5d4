import Database from 'better-sqlite3';
import type { RoundLengths } from '../../common/fl/round-lengths.js';
import { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { JobStore, StoredJob, StoredJobGraph, StoredRound, StoredUpload } from './job-store.js';
import type { KeyGrant } from './key-grants.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, spec_json BLOB NOT NULL, submitted_by TEXT NOT NULL, researcher_key BLOB NOT NULL,
  submission BLOB NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, accepted TEXT NOT NULL,
  offered_to TEXT NOT NULL, dealer TEXT, key_bundle BLOB, created_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
  job_id TEXT NOT NULL, site_id TEXT NOT NULL, accept INTEGER NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (job_id, site_id)
);
CREATE TABLE IF NOT EXISTS rounds (
  job_id TEXT NOT NULL, round INTEGER NOT NULL, participants TEXT NOT NULL, opened_at REAL NOT NULL,
  deadline REAL NOT NULL, state TEXT NOT NULL, closed_at REAL, layout TEXT, absent TEXT NOT NULL,
  summary BLOB, aggregate_digest TEXT, aggregate_bytes INTEGER NOT NULL,
  PRIMARY KEY (job_id, round)
);
CREATE TABLE IF NOT EXISTS uploads (
  job_id TEXT NOT NULL, round INTEGER NOT NULL, site_id TEXT NOT NULL, update_digest TEXT NOT NULL,
  blob_digest TEXT NOT NULL, byte_length INTEGER NOT NULL, nonce TEXT NOT NULL, receipt BLOB NOT NULL,
  PRIMARY KEY (job_id, round, site_id)
);
CREATE TABLE IF NOT EXISTS reports (
  job_id TEXT NOT NULL, round INTEGER NOT NULL, site_id TEXT NOT NULL, model_hash TEXT NOT NULL, envelope BLOB NOT NULL,
  PRIMARY KEY (job_id, round, site_id)
);
CREATE TABLE IF NOT EXISTS releases (
  job_id TEXT NOT NULL, site_id TEXT NOT NULL, envelope BLOB NOT NULL, PRIMARY KEY (job_id, site_id)
);
CREATE TABLE IF NOT EXISTS key_grants (
  job_id TEXT NOT NULL, site_id TEXT NOT NULL, decision BLOB NOT NULL, bundle BLOB, granted_by TEXT,
  PRIMARY KEY (job_id, site_id)
);
`;

const enc = (e: SignedEnvelope) => Buffer.from(SignedEnvelope.encode(e).finish());
const dec = (b: Buffer) => SignedEnvelope.decode(new Uint8Array(b));

/**
 * The coordinator's state in SQLite (better-sqlite3 12; 13 crashes on Node 20), in WAL
 * mode with synchronous=FULL: each statement is committed and on disk when it returns.
 */
export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  private seq = 0;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const roundColumns = this.db.prepare('PRAGMA table_info(rounds)').all() as { name: string }[];
    if (!roundColumns.some((c) => c.name === 'attempt'))
      this.db.exec('ALTER TABLE rounds ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0');
    const jobColumns = this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[];
    if (!jobColumns.some((c) => c.name === 'round_layout'))
      this.db.exec('ALTER TABLE jobs ADD COLUMN round_layout TEXT');
    const decisionColumns = this.db.prepare('PRAGMA table_info(decisions)').all() as { name: string }[];
    if (!decisionColumns.some((c) => c.name === 'stats_length')) {
      this.db.exec('ALTER TABLE decisions ADD COLUMN stats_length INTEGER NOT NULL DEFAULT 0');
      this.db.exec('ALTER TABLE decisions ADD COLUMN parameter_count INTEGER NOT NULL DEFAULT 0');
    }
    const row = this.db.prepare('SELECT COALESCE(MAX(created_seq), 0) AS s FROM jobs').get() as { s: number };
    this.seq = row.s;
  }

  saveJob(job: StoredJob): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, spec_json, submitted_by, researcher_key, submission, state, reason, accepted, offered_to, dealer, key_bundle, round_layout, created_seq)
         VALUES (@id, @spec, @by, @rkey, @submission, @state, @reason, @accepted, @offered, @dealer, @bundle, @layout, @seq)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, reason = excluded.reason, accepted = excluded.accepted,
           offered_to = excluded.offered_to, dealer = excluded.dealer, key_bundle = excluded.key_bundle,
           round_layout = excluded.round_layout`,
      )
      .run({
        id: job.id,
        spec: Buffer.from(job.specJson),
        by: job.submittedBy,
        rkey: Buffer.from(job.researcherSealingKey),
        submission: enc(job.submission),
        state: job.state,
        reason: job.reason,
        accepted: JSON.stringify(job.accepted),
        offered: JSON.stringify(job.offeredTo),
        dealer: job.dealer ?? null,
        bundle: job.keyBundle ? enc(job.keyBundle) : null,
        layout: job.roundLayoutJson ?? null,
        seq: ++this.seq,
      });
  }

  saveDecision(jobId: string, siteId: string, accept: boolean, reason: string, lengths?: RoundLengths): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO decisions (job_id, site_id, accept, reason, stats_length, parameter_count) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(jobId, siteId, accept ? 1 : 0, reason, lengths?.statsLength ?? 0, lengths?.parameterCount ?? 0);
  }

  saveRound(jobId: string, r: StoredRound): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO rounds (job_id, round, participants, opened_at, deadline, state, closed_at, layout, absent, summary, aggregate_digest, aggregate_bytes, attempt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        jobId,
        r.round,
        JSON.stringify(r.participants),
        r.openedAt,
        r.deadline,
        r.state,
        r.closedAt ?? null,
        r.layoutJson ?? null,
        r.absentJson,
        r.summary ? enc(r.summary) : null,
        r.aggregateDigest ?? null,
        r.aggregateBytes,
        r.attempt ?? 0,
      );
  }

  clearRound(jobId: string, round: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM uploads WHERE job_id = ? AND round = ?').run(jobId, round);
      this.db.prepare('DELETE FROM reports WHERE job_id = ? AND round = ?').run(jobId, round);
    })();
  }

  saveUpload(jobId: string, u: StoredUpload): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO uploads (job_id, round, site_id, update_digest, blob_digest, byte_length, nonce, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(jobId, u.round, u.siteId, u.updateDigest, u.blobDigest, u.byteLength, u.nonceHex, enc(u.receipt));
  }

  deleteUpload(jobId: string, round: number, siteId: string): void {
    this.db
      .prepare('DELETE FROM uploads WHERE job_id = ? AND round = ? AND site_id = ?')
      .run(jobId, round, siteId);
  }

  saveReport(
    jobId: string,
    round: number,
    siteId: string,
    modelHash: string,
    envelope: SignedEnvelope,
  ): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO reports (job_id, round, site_id, model_hash, envelope) VALUES (?, ?, ?, ?, ?)',
      )
      .run(jobId, round, siteId, modelHash, enc(envelope));
  }

  saveRelease(jobId: string, siteId: string, envelope: SignedEnvelope): void {
    this.db
      .prepare('INSERT OR REPLACE INTO releases (job_id, site_id, envelope) VALUES (?, ?, ?)')
      .run(jobId, siteId, enc(envelope));
  }

  saveKeyGrant(jobId: string, grant: KeyGrant): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO key_grants (job_id, site_id, decision, bundle, granted_by) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        jobId,
        grant.siteId,
        enc(grant.decision),
        grant.bundle ? enc(grant.bundle) : null,
        grant.grantedBy ?? null,
      );
  }

  loadAll(): StoredJobGraph[] {
    type JobRow = {
      id: string;
      spec_json: Buffer;
      submitted_by: string;
      researcher_key: Buffer;
      submission: Buffer;
      state: string;
      reason: string;
      accepted: string;
      offered_to: string;
      dealer: string | null;
      key_bundle: Buffer | null;
      round_layout: string | null;
    };
    const jobs = this.db.prepare('SELECT * FROM jobs ORDER BY created_seq').all() as JobRow[];
    return jobs.map((j) => ({
      job: {
        id: j.id,
        specJson: new Uint8Array(j.spec_json),
        submittedBy: j.submitted_by,
        researcherSealingKey: new Uint8Array(j.researcher_key),
        submission: dec(j.submission),
        state: j.state,
        reason: j.reason,
        accepted: JSON.parse(j.accepted) as string[],
        offeredTo: JSON.parse(j.offered_to) as string[],
        dealer: j.dealer ?? undefined,
        keyBundle: j.key_bundle ? dec(j.key_bundle) : undefined,
        ...(j.round_layout !== null ? { roundLayoutJson: j.round_layout } : {}),
      },
      decisions: (
        this.db.prepare('SELECT * FROM decisions WHERE job_id = ?').all(j.id) as {
          site_id: string;
          accept: number;
          reason: string;
          stats_length: number;
          parameter_count: number;
        }[]
      ).map((d) => ({
        siteId: d.site_id,
        accept: d.accept === 1,
        reason: d.reason,
        lengths: { statsLength: d.stats_length, parameterCount: d.parameter_count },
      })),
      rounds: (
        this.db.prepare('SELECT * FROM rounds WHERE job_id = ? ORDER BY round').all(j.id) as {
          round: number;
          participants: string;
          opened_at: number;
          deadline: number;
          state: string;
          closed_at: number | null;
          layout: string | null;
          absent: string;
          summary: Buffer | null;
          aggregate_digest: string | null;
          aggregate_bytes: number;
          attempt: number;
        }[]
      ).map((r) => ({
        round: r.round,
        participants: JSON.parse(r.participants) as string[],
        openedAt: r.opened_at,
        deadline: r.deadline,
        state: r.state,
        closedAt: r.closed_at ?? undefined,
        layoutJson: r.layout ?? undefined,
        absentJson: r.absent,
        summary: r.summary ? dec(r.summary) : undefined,
        aggregateDigest: r.aggregate_digest ?? undefined,
        aggregateBytes: r.aggregate_bytes,
        attempt: r.attempt,
      })),
      uploads: (
        this.db.prepare('SELECT * FROM uploads WHERE job_id = ? ORDER BY round, site_id').all(j.id) as {
          round: number;
          site_id: string;
          update_digest: string;
          blob_digest: string;
          byte_length: number;
          nonce: string;
          receipt: Buffer;
        }[]
      ).map((u) => ({
        round: u.round,
        siteId: u.site_id,
        updateDigest: u.update_digest,
        blobDigest: u.blob_digest,
        byteLength: u.byte_length,
        nonceHex: u.nonce,
        receipt: dec(u.receipt),
      })),
      reports: (
        this.db.prepare('SELECT * FROM reports WHERE job_id = ?').all(j.id) as {
          round: number;
          site_id: string;
          model_hash: string;
          envelope: Buffer;
        }[]
      ).map((r) => ({
        round: r.round,
        siteId: r.site_id,
        modelHash: r.model_hash,
        envelope: dec(r.envelope),
      })),
      releases: (
        this.db.prepare('SELECT * FROM releases WHERE job_id = ?').all(j.id) as {
          site_id: string;
          envelope: Buffer;
        }[]
      ).map((r) => ({
        siteId: r.site_id,
        envelope: dec(r.envelope),
      })),
      keyGrants: (
        this.db.prepare('SELECT * FROM key_grants WHERE job_id = ?').all(j.id) as {
          site_id: string;
          decision: Buffer;
          bundle: Buffer | null;
          granted_by: string | null;
        }[]
      ).map((g) => ({
        siteId: g.site_id,
        decision: dec(g.decision),
        bundle: g.bundle ? dec(g.bundle) : undefined,
        grantedBy: g.granted_by ?? undefined,
      })),
    }));
  }

  close(): void {
    this.db.close();
  }
}
