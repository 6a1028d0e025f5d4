import { randomUUID } from 'node:crypto';
import { HeflError } from '../common/errors/index.js';
import { type ParsedJob, parseJobBytes } from '../common/job/job-spec.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { JobController, type JobControllerDeps } from './job-controller.js';
import { restoreJob } from './restore-job.js';

/** All jobs this coordinator knows; each job owns its adder for its HE profile. */
export class JobRegistry {
  private readonly jobs = new Map<string, JobController>();

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
    this.jobs.set(id, controller);
    controller.persistJob();
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
    controller.start();
    return controller;
  }

  /**
   * Rebuilds every stored job after a restart (finished ones too, for status and model
   * fetch) and re-arms the unfinished ones, giving reconnecting sites `graceMs` at least.
   */
  async restore(graceMs: number): Promise<number> {
    let unfinished = 0;
    for (const graph of this.deps.store.loadAll()) {
      const job = parseJobBytes(graph.job.specJson);
      const adder = await this.createAdder(job.spec.he.profile);
      const controller = await restoreJob({ ...this.deps, adder }, graph, job);
      this.jobs.set(controller.id, controller);
      if (!controller.isFinished()) {
        unfinished++;
        controller.resume(graceMs);
      }
    }
    return unfinished;
  }

  get(id: string): JobController {
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
    for (const job of this.jobs.values()) if (!job.isFinished()) job.onSiteConnected(siteId, activeJobs);
  }
}
