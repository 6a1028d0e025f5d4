import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { HeflError } from '../../common/errors/index.js';
import { parseJobBytes } from '../../common/job/job-spec.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { Ack, SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { JobCancellation, JobSubmission } from '../../proto/gen/hefl/v1/messages.js';
import type {
  FetchModelReply,
  FetchModelRequest,
  JobStatus,
  JobStatusRequest,
  ListJobsReply,
  ListJobsRequest,
  ManifestRequest,
  ManifestUpdate,
  ResearcherServiceServer,
  SubmitJobReply,
} from '../../proto/gen/hefl/v1/services.js';
import type { JobRegistry } from '../job/job-registry.js';
import { jobStatusOf } from '../job/job-status.js';
import type { MemberDirectory } from '../members/member-directory.js';
import type { NonceWindow } from '../members/nonce-window.js';
import type { AuditSink } from '../storage/audit-sink.js';
import { toServiceError } from './grpc-errors.js';
import type { RequestGuard } from './request-guard.js';

/** gRPC adapter for what researchers call: submit, cancel, list, status, model, manifest. */
export function createResearcherService(deps: {
  guard: RequestGuard;
  jobs: JobRegistry;
  /**
   * Takes each signed submission and cancellation once. With the TLS binding in
   * `guard.open`, a site cannot pass on the researcher's submission it got in a job offer.
   */
  replays: NonceWindow;
  /** Serves the current signed manifest (absent on test transports without one). */
  members: Pick<MemberDirectory, 'signedManifestJson'>;
  /** The audit log, whose signed head goes with every model fetch (absent: no head). */
  audit?: Pick<AuditSink, 'headJson'>;
}): ResearcherServiceServer {
  const { guard, jobs, replays, members } = deps;
  return {
    submitJob(
      call: ServerUnaryCall<SignedEnvelope, SubmitJobReply>,
      callback: sendUnaryData<SubmitJobReply>,
    ) {
      (async () => {
        const { message, member } = guard.open(
          SigningContext.jobSubmission,
          JobSubmission,
          call.request,
          'researcher',
          call,
        );
        replays.admit('job submission', member.id, message);
        if (message.researcherSealingKey.length !== 32) {
          throw new HeflError('invalid_argument', 'missing sealing key', {
            publicDetail: 'researcher sealing key must be 32 bytes',
          });
        }
        const parsed = parseJobBytes(message.specJson);
        const job = await jobs.submit(
          parsed,
          member.id,
          new Uint8Array(message.researcherSealingKey),
          call.request,
        );
        return { jobId: job.id, jobHash: job.job.hash };
      })().then(
        (reply) => callback(null, reply),
        (error) => callback(toServiceError(error)),
      );
    },

    cancelJob(call: ServerUnaryCall<SignedEnvelope, Ack>, callback: sendUnaryData<Ack>) {
      try {
        const { message, member } = guard.open(
          SigningContext.jobCancellation,
          JobCancellation,
          call.request,
          'researcher',
          call,
        );
        replays.admit('job cancellation', member.id, message);
        jobs.get(message.jobId).cancel(member.id, message.reason);
        callback(null, { message: 'cancelled', auditHeadJson: Buffer.alloc(0) });
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    listJobs(call: ServerUnaryCall<ListJobsRequest, ListJobsReply>, callback: sendUnaryData<ListJobsReply>) {
      try {
        guard.requirePeer(call, ['researcher', 'auditor'], 'list-jobs');
        callback(null, { jobs: jobs.all().map(jobStatusOf) });
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    fetchModel(
      call: ServerUnaryCall<FetchModelRequest, FetchModelReply>,
      callback: sendUnaryData<FetchModelReply>,
    ) {
      try {
        const peer = guard.requirePeer(call, ['researcher'], 'fetch-model');
        const releases = jobs.get(call.request.jobId).releasesFor(peer?.id);
        // Taken after releasesFor, which may log the fetch: the researcher's head covers it.
        const auditHeadJson = Buffer.from(deps.audit?.headJson?.() ?? new Uint8Array());
        callback(null, { ...releases, auditHeadJson });
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    getManifest(
      call: ServerUnaryCall<ManifestRequest, ManifestUpdate>,
      callback: sendUnaryData<ManifestUpdate>,
    ) {
      try {
        guard.requirePeer(call, ['researcher', 'auditor'], 'get-manifest');
        callback(null, {
          signedManifestJson: Buffer.from(members.signedManifestJson?.() ?? new Uint8Array()),
        });
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    getJobStatus(call: ServerUnaryCall<JobStatusRequest, JobStatus>, callback: sendUnaryData<JobStatus>) {
      try {
        guard.requirePeer(call, ['researcher', 'auditor'], 'job-status');
        callback(null, jobStatusOf(jobs.get(call.request.jobId)));
      } catch (error) {
        callback(toServiceError(error));
      }
    },
  };
}
