import { HeflError } from '../../common/errors/index.js';
import { totalRounds } from '../../common/job/job-spec.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import type { ModelRelease } from '../../proto/gen/hefl/v1/messages.js';
import type { AuditSink } from '../storage/audit-sink.js';
import type { JobStore } from '../storage/job-store.js';
import type { JobView } from './job-view.js';

/** What the releases read of their job. */
export type ReleasingJob = Pick<JobView, 'id' | 'submittedBy' | 'spec' | 'state' | 'rounds'>;

/**
 * The sites' signed answers on releasing a job's final model: each sealed to the
 * researcher who submitted the job, or a refusal. The coordinator keeps and hands them
 * on; it cannot open them.
 */
export class ModelReleases {
  private readonly releases = new Map<string, SignedEnvelope>();

  constructor(
    private readonly deps: { readonly store: JobStore; readonly audit: AuditSink },
    private readonly job: ReleasingJob,
  ) {}

  /** The releases stored before a restart. */
  load(stored: readonly { siteId: string; envelope: SignedEnvelope }[]): void {
    for (const r of stored) this.releases.set(r.siteId, r.envelope);
  }

  /**
   * Stores a site's signed answer on releasing the final model (sealed to the researcher,
   * or a refusal). Only sites of the final round answer; the coordinator cannot open it.
   */
  accept(siteId: string, release: ModelRelease, envelope: SignedEnvelope): void {
    const { id, spec, rounds, submittedBy } = this.job;
    const last = rounds[totalRounds(spec) - 1];
    if (last?.state !== 'closed' || !last.uploads.has(siteId)) {
      throw new HeflError('failed_precondition', `${siteId} is not in the final round of ${id}`, {
        publicDetail: 'only sites of the final round release the model',
      });
    }
    if (this.releases.has(siteId)) return; // a site retrying a release whose reply it lost
    this.deps.audit.append({
      actor: siteId,
      action: 'model.released',
      details: {
        jobId: id,
        allowed: release.allowed,
        reason: release.reason,
        modelHash: release.modelHash,
        to: submittedBy,
        stage: 'sealed by site',
      },
    });
    this.deps.store.saveRelease(id, siteId, envelope);
    this.releases.set(siteId, envelope);
  }

  /** The releases for the researcher who submitted the job, and the final-round sites still to answer. */
  releasesFor(researcherId: string | undefined): { releases: SignedEnvelope[]; pending: string[] } {
    const { id, spec, state, rounds, submittedBy } = this.job;
    if (researcherId !== undefined && researcherId !== submittedBy) {
      throw new HeflError('permission_denied', `${researcherId} did not submit ${id}`, {
        publicDetail: 'only the researcher who submitted the job can fetch its model',
      });
    }
    if (!spec.release.toResearcher) {
      throw new HeflError('failed_precondition', `${id} does not release its model`, {
        publicDetail: 'the job spec says the model is not released (release.toResearcher = false)',
      });
    }
    if (state !== 'completed') {
      throw new HeflError('failed_precondition', `${id} is ${state}`, {
        publicDetail: `the job is ${state}, not completed`,
      });
    }
    const last = rounds[totalRounds(spec) - 1]!;
    const sites = last.contributors;
    const pending = sites.filter((s) => !this.releases.has(s));
    if (pending.length === 0) {
      this.deps.audit.append({
        actor: researcherId ?? submittedBy,
        action: 'model.released',
        details: { jobId: id, to: submittedBy, sites, stage: 'fetched by researcher' },
      });
    }
    return { releases: sites.flatMap((s) => (this.releases.has(s) ? [this.releases.get(s)!] : [])), pending };
  }
}
