import { randomBytes } from 'node:crypto';
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { ParsedJob } from '../../common/job/job-spec.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { JobCancellation, JobSubmission } from '../../proto/gen/hefl/v1/messages.js';
import {
  type FetchModelReply,
  type JobStatus,
  ResearcherServiceClient,
} from '../../proto/gen/hefl/v1/services.js';

/** A researcher's keys: Ed25519 signs jobs; X25519 opens metrics and models sealed to it. */
export interface ResearcherKeys {
  readonly signingSecretKey: Uint8Array;
  readonly sealingPublicKey: Uint8Array;
  readonly sealingSecretKey: Uint8Array;
}

/** The researcher's connection to the coordinator: submit, cancel, list, status. */
export class ResearcherClient {
  private readonly client: InstanceType<typeof ResearcherServiceClient>;

  constructor(
    address: string,
    credentials: ChannelCredentials,
    private readonly keys: ResearcherKeys,
  ) {
    this.client = new ResearcherServiceClient(address, credentials, {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 10_000,
    });
  }

  submit(job: ParsedJob): Promise<{ jobId: string; jobHash: string }> {
    const envelope = signMessage(
      SigningContext.jobSubmission,
      JobSubmission,
      {
        specJson: Buffer.from(job.canonical),
        nonce: randomBytes(16),
        sentAtMs: Date.now(),
        researcherSealingKey: Buffer.from(this.keys.sealingPublicKey),
      },
      this.keys.signingSecretKey,
    );
    return new Promise((resolve, reject) => {
      this.client.submitJob(envelope, (error, reply) =>
        error ? reject(error) : resolve({ jobId: reply!.jobId, jobHash: reply!.jobHash }),
      );
    });
  }

  cancel(jobId: string, reason: string): Promise<void> {
    const envelope = signMessage(
      SigningContext.jobCancellation,
      JobCancellation,
      { jobId, reason, nonce: randomBytes(16), sentAtMs: Date.now() },
      this.keys.signingSecretKey,
    );
    return new Promise((resolve, reject) =>
      this.client.cancelJob(envelope, (error) => (error ? reject(error) : resolve())),
    );
  }

  status(jobId: string): Promise<JobStatus> {
    return new Promise((resolve, reject) => {
      this.client.getJobStatus({ jobId }, (error, reply) => (error ? reject(error) : resolve(reply!)));
    });
  }

  /** The sites' signed release answers for a completed job (only for the submitting researcher). */
  fetchModel(jobId: string): Promise<FetchModelReply> {
    return new Promise((resolve, reject) => {
      this.client.fetchModel({ jobId }, (error, reply) => (error ? reject(error) : resolve(reply!)));
    });
  }

  /** The coordinator's current signed manifest (JSON bytes; empty if it serves none). Verify before use. */
  signedManifest(): Promise<Uint8Array> {
    return new Promise((resolve, reject) =>
      this.client.getManifest({}, (error, reply) =>
        error ? reject(error) : resolve(new Uint8Array(reply!.signedManifestJson)),
      ),
    );
  }

  list(): Promise<JobStatus[]> {
    return new Promise((resolve, reject) =>
      this.client.listJobs({}, (error, reply) => (error ? reject(error) : resolve(reply!.jobs))),
    );
  }

  close(): void {
    this.client.close();
  }
}
