import { randomBytes } from 'node:crypto';
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { ParsedJob } from '../../common/job/job-spec.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { JobCancellation, JobSubmission } from '../../proto/gen/hefl/v1/messages.js';
import { ResearcherServiceClient, type SubmitJobReply } from '../../proto/gen/hefl/v1/services.js';

export type ResearcherRpc = InstanceType<typeof ResearcherServiceClient>;

/** The generated researcher client over `credentials` (whichever member's certificate a test picks). */
export function researcherRpc(address: string, credentials: ChannelCredentials): ResearcherRpc {
  return new ResearcherServiceClient(address, credentials);
}

/** A signed JobSubmission as `hefl job submit` makes it; `fields` override nonce or timestamp. */
export function signedSubmission(
  job: ParsedJob,
  keys: { signingSecretKey: Uint8Array; sealingPublicKey: Uint8Array },
  fields: Partial<JobSubmission> = {},
): SignedEnvelope {
  return signMessage(
    SigningContext.jobSubmission,
    JobSubmission,
    {
      specJson: Buffer.from(job.canonical),
      nonce: randomBytes(16),
      sentAtMs: Date.now(),
      researcherSealingKey: Buffer.from(keys.sealingPublicKey),
      ...fields,
    },
    keys.signingSecretKey,
  );
}

/** A signed JobCancellation as `hefl job cancel` makes it; `fields` override nonce or timestamp. */
export function signedCancellation(
  jobId: string,
  signingSecretKey: Uint8Array,
  fields: Partial<JobCancellation> = {},
): SignedEnvelope {
  return signMessage(
    SigningContext.jobCancellation,
    JobCancellation,
    { jobId, reason: 'test', nonce: randomBytes(16), sentAtMs: Date.now(), ...fields },
    signingSecretKey,
  );
}

export function submitJob(client: ResearcherRpc, envelope: SignedEnvelope): Promise<SubmitJobReply> {
  return new Promise((resolve, reject) =>
    client.submitJob(envelope, (error, reply) => (error ? reject(error) : resolve(reply!))),
  );
}

export function cancelJob(client: ResearcherRpc, envelope: SignedEnvelope): Promise<void> {
  return new Promise((resolve, reject) =>
    client.cancelJob(envelope, (error) => (error ? reject(error) : resolve())),
  );
}
