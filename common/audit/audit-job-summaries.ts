import type { AuditEntry, JsonValue } from './audit-entry.js';

/** A site's own record of accepting a job (`site.accepted` in its log), with its DP spending. */
export interface SiteAcceptance {
  /** The site's name as the coordinator log admitted it, or its key id. */
  readonly site: string;
  readonly jobId: string;
  /** `details.privacy` of the entry: unit, epsilon, delta, ...; undefined when the job ran without DP. */
  readonly privacy: { readonly [key: string]: JsonValue } | undefined;
}

/** What the coordinator log (and the given site logs) say about one job. */
export interface AuditJobSummary {
  readonly jobId: string;
  readonly name?: string;
  readonly jobHash?: string;
  /** Name the submitter was admitted under (if logged) and its key id. */
  readonly submitter?: string;
  readonly submitterKey?: string;
  readonly state: string;
  /** Training rounds R the job asked for (rounds 0 and R+1 come on top). */
  readonly trainingRounds?: number;
  readonly accepted: readonly string[];
  readonly declined: readonly string[];
  readonly excluded: readonly string[];
  /** Rounds closed, in order (with repeats for re-run rounds). */
  readonly roundsClosed: readonly number[];
  /** One line per site; empty means the DP spending is not known from the logs given. */
  readonly dp: readonly string[];
  readonly dpKnown: boolean;
  readonly release: readonly string[];
}

interface Draft {
  jobId: string;
  name?: string;
  jobHash?: string;
  submitter?: string;
  submitterKey?: string;
  end?: string;
  lastOpened?: number;
  trainingRounds?: number;
  accepted: Set<string>;
  declined: string[];
  excluded: string[];
  roundsClosed: number[];
  release: string[];
}

const str = (v: JsonValue | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;
const withReason = (who: string, reason: JsonValue | undefined) =>
  str(reason) === undefined ? who : `${who} (${str(reason)})`;

/**
 * One summary per job, in the order the jobs were submitted. `sites` are the acceptances read
 * from the site logs given (undefined: none given), the only place a job's DP spending is
 * logged. Reads what the log says; whether the log is genuine is the verification's job.
 */
export function summariseAuditJobs(
  entries: readonly AuditEntry[],
  sites?: readonly SiteAcceptance[],
): AuditJobSummary[] {
  const jobs = new Map<string, Draft>();
  for (const entry of entries) {
    const d = entry.details;
    const jobId = str(d.jobId);
    if (jobId === undefined) continue;
    const job: Draft = jobs.get(jobId) ?? {
      jobId,
      accepted: new Set(),
      declined: [],
      excluded: [],
      roundsClosed: [],
      release: [],
    };
    jobs.set(jobId, job);
    const who = str(d.member) ?? entry.actor;
    switch (entry.action) {
      case 'job.submitted':
        Object.assign(job, {
          name: str(d.name),
          jobHash: str(d.jobHash),
          submitter: str(d.member),
          submitterKey: entry.actor,
          trainingRounds: typeof d.rounds === 'number' ? d.rounds : undefined,
        });
        break;
      case 'job.accepted':
      case 'job.joined':
      case 'job.rejoined':
        job.accepted.add(who);
        break;
      case 'job.declined':
        job.declined.push(withReason(who, d.reason));
        break;
      case 'job.excluded':
        job.excluded.push(withReason(str(d.site) ?? who, d.reason));
        break;
      case 'round.opened':
        if (typeof d.round === 'number') job.lastOpened = d.round;
        break;
      case 'round.closed':
        if (typeof d.round === 'number') job.roundsClosed.push(d.round);
        break;
      case 'model.released':
        job.release.push(releaseLine(who, d));
        break;
      case 'job.completed':
      case 'job.failed':
      case 'job.cancelled':
        job.end ??= withReason(entry.action.slice('job.'.length), d.reason);
        break;
    }
  }
  return [...jobs.values()].map((job) => finish(job, sites));
}

function finish(job: Draft, sites: readonly SiteAcceptance[] | undefined): AuditJobSummary {
  const opened = job.lastOpened === undefined ? 'no round opened' : `last round opened: ${job.lastOpened}`;
  const own = (sites ?? []).filter((s) => s.jobId === job.jobId);
  const dp = own.map((s) => `${s.site}: ${privacyLine(s.privacy)}`);
  const missing = [...job.accepted].filter((site) => !own.some((s) => s.site === site));
  if (sites !== undefined && missing.length > 0) dp.push(`${missing.join(', ')}: site log not given`);
  const { name, jobHash, submitter, submitterKey, trainingRounds } = job;
  return {
    jobId: job.jobId,
    ...(name === undefined ? {} : { name }),
    ...(jobHash === undefined ? {} : { jobHash }),
    ...(submitter === undefined ? {} : { submitter }),
    ...(submitterKey === undefined ? {} : { submitterKey }),
    ...(trainingRounds === undefined ? {} : { trainingRounds }),
    state: job.end ?? `not ended in this log (${opened})`,
    accepted: [...job.accepted],
    declined: job.declined,
    excluded: job.excluded,
    roundsClosed: job.roundsClosed,
    dp,
    dpKnown: sites !== undefined,
    release: job.release,
  };
}

function privacyLine(privacy: SiteAcceptance['privacy']): string {
  if (privacy === undefined) return 'no DP (none spent)';
  const parts = [`epsilon ${String(privacy.epsilon)}`, `delta ${String(privacy.delta)}`];
  if (typeof privacy.unit === 'string') parts.push(`per ${privacy.unit}`);
  if (typeof privacy.epsilonRemaining === 'number') {
    parts.push(`${Number(privacy.epsilonRemaining.toPrecision(4))} left at acceptance`);
  }
  return parts.join(', ');
}

function releaseLine(who: string, d: AuditEntry['details']): string {
  if (d.stage === 'fetched by researcher') return `fetched by ${str(d.to) ?? who}`;
  if (d.allowed === false) return withReason(`refused by ${who}`, d.reason);
  return `sealed to ${str(d.to) ?? 'the researcher'} by ${who}`;
}

/**
 * The `site.accepted` entries of site logs, each site named as the coordinator log admitted
 * it (`federation.admit` details `memberKey` -> `member`), or by its key id.
 */
export function siteAcceptancesOf(
  siteEntries: readonly AuditEntry[],
  coordinatorEntries: readonly AuditEntry[],
): SiteAcceptance[] {
  const names = new Map<string, string>();
  for (const e of coordinatorEntries) {
    const key = str(e.details.memberKey);
    const member = str(e.details.member);
    if (e.action === 'federation.admit' && key !== undefined && member !== undefined) names.set(key, member);
  }
  return siteEntries.flatMap((e) => {
    const jobId = str(e.details.jobId);
    if (e.action !== 'site.accepted' || jobId === undefined) return [];
    const p = e.details.privacy;
    const privacy =
      p && typeof p === 'object' && !Array.isArray(p) ? (p as SiteAcceptance['privacy']) : undefined;
    return [{ site: names.get(e.actor) ?? e.actor, jobId, privacy }];
  });
}
