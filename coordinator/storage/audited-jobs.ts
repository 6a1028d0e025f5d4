import { parseAuditEntry } from '../../common/audit/parse-audit-entry.js';
import { readLogLines } from '../../common/audit/read-log-lines.js';

/** What the coordinator's own audit log says about one job: the facts the stored state must agree with. */
export interface AuditedJob {
  jobHash: string | undefined;
  /** site -> accepted (job.accepted/joined/rejoined) or declined, last answer wins. */
  readonly decisions: Map<string, boolean>;
  /** The last key.ceremony: dealer and bundle digest. */
  ceremony: { dealer: string; bundleDigest: string } | undefined;
  /** site -> digest of the bundle a holder sealed to it (key.granted). */
  readonly grants: Map<string, string>;
  /** round -> participants of its last round.opened, and its round.closed if any. */
  readonly rounds: Map<
    number,
    { participants: string[]; closed?: { participants: string[]; aggregateDigest: string } }
  >;
  /** `round/site` -> update digest (last update.accepted), and `round/site/digest` of updates audited as lost. */
  readonly updates: Map<string, string>;
  readonly lost: Set<string>;
  /** `round/site` -> model hash (round.reported, first report kept as the state keeps it). */
  readonly reports: Map<string, string>;
  /** Sites whose sealed release was recorded (model.released, stage 'sealed by site'). */
  readonly releases: Set<string>;
  /** The job's end, if logged. */
  ended: { state: 'completed' | 'failed' | 'cancelled'; reason: string } | undefined;
}

type Details = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Reads the coordinator's audit log (in constant memory per entry) into the facts per job
 * that `checkStoredJob` holds the stored state against. Entries that do not parse are
 * skipped: the log's own integrity is `hefl audit verify`'s job; here the log is the
 * reference the state is checked against, and an entry missing from it fails that check.
 */
export async function readAuditedJobs(path: string): Promise<Map<string, AuditedJob>> {
  const jobs = new Map<string, AuditedJob>();
  const jobOf = (id: string): AuditedJob => {
    let job = jobs.get(id);
    if (!job) {
      job = {
        jobHash: undefined,
        decisions: new Map(),
        ceremony: undefined,
        grants: new Map(),
        rounds: new Map(),
        updates: new Map(),
        lost: new Set(),
        reports: new Map(),
        releases: new Set(),
        ended: undefined,
      };
      jobs.set(id, job);
    }
    return job;
  };
  for await (const { text } of readLogLines(path)) {
    if (text.trim() === '') continue;
    let entry: ReturnType<typeof parseAuditEntry>;
    try {
      entry = parseAuditEntry(text);
    } catch {
      continue;
    }
    const d = entry.details as Details;
    const jobId = str(d.jobId);
    if (!jobId) continue;
    const job = jobOf(jobId);
    const member = str(d.member) || entry.actor;
    const round = typeof d.round === 'number' ? d.round : -1;
    switch (entry.action) {
      case 'job.submitted':
        job.jobHash = str(d.jobHash);
        break;
      case 'job.accepted':
      case 'job.joined':
      case 'job.rejoined':
        job.decisions.set(member, true);
        break;
      case 'job.declined':
        job.decisions.set(member, false);
        break;
      case 'key.ceremony':
        job.ceremony = { dealer: str(d.dealer), bundleDigest: str(d.bundleDigest) };
        break;
      case 'key.granted':
        job.grants.set(str(d.to), str(d.bundleDigest));
        break;
      case 'round.opened':
        job.rounds.set(round, { ...job.rounds.get(round), participants: (d.participants as string[]) ?? [] });
        break;
      case 'round.closed': {
        const opened = job.rounds.get(round) ?? { participants: [] };
        opened.closed = {
          participants: (d.participants as string[]) ?? [],
          aggregateDigest: str(d.aggregateDigest),
        };
        job.rounds.set(round, opened);
        break;
      }
      case 'update.accepted':
        job.updates.set(`${round}/${str(d.site)}`, str(d.updateDigest));
        break;
      case 'update.lost':
        job.lost.add(`${round}/${str(d.site)}/${str(d.updateDigest)}`);
        break;
      case 'round.reported':
        if (!job.reports.has(`${round}/${member}`)) job.reports.set(`${round}/${member}`, str(d.modelHash));
        break;
      case 'model.released':
        if (d.stage === 'sealed by site') job.releases.add(member);
        break;
      case 'job.completed':
      case 'job.failed':
      case 'job.cancelled':
        job.ended ??= { state: entry.action.slice(4) as 'completed', reason: str(d.reason) };
        break;
    }
  }
  return jobs;
}
