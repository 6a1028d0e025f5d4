import { randomUUID } from 'node:crypto';
import { HeflError } from '../../common/errors/index.js';
import { type ParsedJob, parseJobBytes } from '../../common/job/job-spec.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { StoredJobCheck } from '../storage/check-stored-job.js';
import type { StoredJobGraph } from '../storage/job-store.js';
import { JobController, type JobControllerDeps } from './job-controller.js';
import { jobEndedTask } from './job-tasks.js';

/** All jobs this coordinator knows; each job owns its adder for its HE profile. */
/**
 * Holds a stored job against the audit log before it is served again (see checkStoredJob):
 * the graph to restore (rolled forward where the log is one step ahead) and what disagrees.
 */
export type RestoreCheck = (graph: StoredJobGraph) => StoredJobCheck;

export class JobRegistry {
  private readonly jobs = new Map<string, JobController>();
  /** Jobs not served since the last start, with why (their state disagrees with the audit log, or is damaged). */
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly deps: Omit<JobControllerDeps, 'adder'>,
    private readonly createAdder: (profileId: string) => Promise<JobControllerDeps['adder']>,
  ) {}

  async submit(
    job: ParsedJob,
    submittedBy: string,
    researcherSealingKey: Uint8Array,
    submission: SignedEnvelope,
  ): Promise<JobController> {
    const adder = await this.createAdder(job.spec.he.profile);
    const id = `job-${randomUUID().slice(0, 8)}`;
    const controller = new JobController(
      { ...this.deps, adder },
      { id, job, submittedBy, researcherSealingKey, submission },
    );
    // The audit entry first, then the state that acts on it (a crash in between leaves a
    // logged submission the researcher never got an id for: nothing runs it).
    this.deps.audit.append({
      actor: submittedBy,
      action: 'job.submitted',
      details: {
        jobId: id,
        jobHash: job.hash,
        name: job.spec.name,
        rounds: job.spec.rounds,
        profile: job.spec.he.profile,
      },
    });
    controller.persistJob();
    this.jobs.set(id, controller);
    controller.start();
    return controller;
  }

  /**
   * Rebuilds every stored job after a restart (finished ones too, for status and model
   * fetch) and re-arms the unfinished ones, giving reconnecting sites `graceMs` at least.
   */
  async restore(graceMs: number, check?: RestoreCheck): Promise<number> {
    let unfinished = 0;
    for (const stored of this.deps.store.loadAll()) {
      let controller: JobController;
      try {
        const { graph, problems, unstoredUpdates } = check
          ? check(stored)
          : { graph: stored, problems: [], unstoredUpdates: [] };
        if (problems.length > 0) {
          this.refuse(stored.job.id, `its stored state disagrees with the audit log: ${problems.join('; ')}`);
          continue;
        }
        for (const u of unstoredUpdates) {
          this.deps.audit.append({
            actor: 'coordinator',
            action: 'update.lost',
            details: {
              jobId: stored.job.id,
              round: u.round,
              site: u.siteId,
              updateDigest: u.updateDigest,
              reason:
                'the coordinator stopped before storing it (no receipt was sent); the site sends it again',
            },
          });
        }
        const job = parseJobBytes(graph.job.specJson);
        const adder = await this.createAdder(job.spec.he.profile);
        controller = await JobController.restore({ ...this.deps, adder }, graph, job);
      } catch (error) {
        // One damaged job never keeps the coordinator (and every other job) from starting.
        this.refuse(
          stored.job.id,
          `it could not be restored: ${error instanceof Error ? error.message : String(error)}`,
        );
        continue;
      }
      this.jobs.set(controller.id, controller);
      if (!controller.isFinished()) {
        unfinished++;
        controller.resume(graceMs);
      }
    }
    return unfinished;
  }

  /** A stored job that is not served: audited and logged with the reason, refused by name on every call. */
  private refuse(id: string, why: string): void {
    const reason = why.length > 2000 ? `${why.slice(0, 2000)}…` : why;
    this.refused.set(id, reason);
    this.deps.audit.append({ actor: 'coordinator', action: 'job.refused', details: { jobId: id, reason } });
    this.deps.log?.('job.refused', { job: id, reason });
  }

  get(id: string): JobController {
    const refused = this.refused.get(id);
    if (refused) {
      throw new HeflError('failed_precondition', `job ${id} is not served: ${refused}`, {
        publicDetail: `job ${id.slice(0, 64)} is not served: ${refused.slice(0, 500)}`,
      });
    }
    const job = this.jobs.get(id);
    if (!job) throw new HeflError('not_found', `no job ${id}`, { publicDetail: `no job ${id.slice(0, 64)}` });
    return job;
  }

  /** Whether any job refers to the blob (an update or aggregate it still keeps). */
  refersToBlob(digest: string): boolean {
    for (const job of this.jobs.values()) if (job.refersToBlob(digest)) return true;
    return false;
  }

  all(): JobController[] {
    return [...this.jobs.values()];
  }

  /** After a manifest change (admission, revocation). */
  onMembersChanged(): void {
    for (const job of this.jobs.values()) if (!job.isFinished()) job.onMembersChanged();
  }

  /** `activeJobs`: the jobs the site says it is running (from its signed hello). */
  onSiteConnected(siteId: string, activeJobs: ReadonlySet<string>): void {
    for (const job of this.jobs.values()) {
      if (!job.isFinished()) job.onSiteConnected(siteId, activeJobs);
      // It ended while the site was away, or the coordinator crashed before telling it.
      else if (activeJobs.has(job.id))
        this.deps.hub.send(
          siteId,
          jobEndedTask(job.id, job.state, job.reason, this.deps.audit.headJson?.() ?? new Uint8Array()),
        );
    }
  }
}
