import { randomBytes } from 'node:crypto';
import { DEFAULT_CODE_NORMALISATION } from '../common/job/feature-schema.js';
import type { ParsedJob } from '../common/job/job-spec.js';
import type { GlmResult } from '../common/protocol/sealed-glm-report.js';
import { sealForResearcher } from '../common/protocol/sealed-metrics.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { ModelRelease } from '../proto/gen/hefl/v1/messages.js';
import type { FeaturePipeline } from './data/index.js';
import { glmReleasePackage } from './glm/glm-release-package.js';
import type { ModelCard } from './model-release.js';
import type { SiteKeys } from './site-keys.js';
import { modelHash } from './strategy/index.js';
import { buildReleasePackage } from './training/build-release-package.js';

/**
 * After the final round: the site's signed answer on releasing the model — the model and
 * its card sealed to the researcher who submitted the job, if this site's policy allows
 * release, otherwise a refusal with the reason. The coordinator relays it unopened.
 */
export async function finalModelRelease(input: {
  readonly keys: SiteKeys;
  readonly jobId: string;
  readonly job: ParsedJob;
  readonly researcherKey: Uint8Array;
  readonly weights: Float32Array;
  /** The feature pipeline and final metrics; absent if this site never got that far. */
  readonly pipeline: FeaturePipeline | undefined;
  readonly metrics: ModelCard['metrics'] | undefined;
  /** A GLM job's converged table (its card carries it instead of metrics); undefined otherwise. */
  readonly glm?: GlmResult | undefined;
  readonly participants: readonly string[];
  /** This site's policy on release, and the privacy it spent on the job. */
  readonly release: { allowed: boolean; privacy: ModelCard['privacy'] };
  readonly now: number;
}): Promise<{ envelope: SignedEnvelope; allowed: boolean; modelHash: string }> {
  const { job, pipeline, release } = input;
  const hash = modelHash(input.weights);
  let sealed: { nonce: Uint8Array; sealed: Uint8Array } | undefined;
  const metrics = input.glm ? null : input.metrics;
  if (release.allowed && pipeline && metrics !== undefined) {
    const card: ModelCard = {
      jobId: input.jobId,
      jobHash: job.hash,
      modelHash: hash,
      model: job.spec.model,
      trainingRounds: job.spec.rounds,
      participatingSites: [...input.participants],
      metrics,
      ...(input.glm ? { glm: input.glm } : {}),
      privacy: release.privacy,
      features: {
        names: [...pipeline.featureNames],
        numeric: pipeline.numeric.map((n) => ({ name: n.name, mean: n.mean, std: n.std })),
        categorical: pipeline.categorical.map((c) => ({ ...c, buckets: [...c.buckets] })),
        categoryHash:
          'undeclared categorical columns: HMAC-SHA256(key = pipeline.salt, column NUL normalised code), first 4 bytes mod pipeline.bucketCount',
        normalisation: job.spec.data.normalise ?? DEFAULT_CODE_NORMALISATION,
        data: job.spec.data,
        pipeline: pipeline.toJSON(),
      },
      createdAt: new Date(input.now).toISOString(),
    };
    const bytes = input.glm
      ? glmReleasePackage(input.weights, card)
      : await buildReleasePackage(job.spec.model, pipeline.cols, input.weights, card);
    sealed = sealForResearcher(bytes, input.researcherKey);
  }
  const envelope = signMessage(
    SigningContext.modelRelease,
    ModelRelease,
    {
      jobId: input.jobId,
      siteId: input.keys.siteId,
      allowed: sealed !== undefined,
      reason: sealed
        ? ''
        : release.allowed
          ? 'the final model is not available at this site'
          : 'this site’s policy does not allow model release',
      modelHash: hash,
      sealedNonce: Buffer.from(sealed?.nonce ?? new Uint8Array()),
      sealedModel: Buffer.from(sealed?.sealed ?? new Uint8Array()),
      nonce: randomBytes(16),
    },
    input.keys.signingSecretKey,
  );
  return { envelope, allowed: sealed !== undefined, modelHash: hash };
}
