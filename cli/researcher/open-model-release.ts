import type { ModelCard, ReleasePackage } from '../../client-node/index.js';
import { modelHash } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import { openAsResearcher } from '../../common/protocol/sealed-metrics.js';
import { openMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { ModelRelease } from '../../proto/gen/hefl/v1/messages.js';
import type { FetchModelReply } from '../../proto/gen/hefl/v1/services.js';

export interface ReleasedModel {
  readonly modelJson: string;
  readonly weights: Uint8Array;
  readonly card: ModelCard;
}

/**
 * The researcher's checks on a model release: every final-round site answered, each
 * answer is signed by a site of the federation, every site allowed release and names the
 * same model hash, and the weights that open with the researcher's key hash to it.
 * Anything else is refused with the site and the reason.
 */
export function openModelRelease(
  reply: FetchModelReply,
  researcherSealingSecret: Uint8Array,
  siteIdOf: (signingKey: Uint8Array) => string | undefined,
): ReleasedModel {
  if (reply.pending.length > 0) {
    throw new HeflError(
      'failed_precondition',
      `waiting for the model release of ${reply.pending.join(', ')}; try again shortly`,
    );
  }
  if (reply.releases.length === 0)
    throw new HeflError('failed_precondition', 'no site has released the model');
  const releases = reply.releases.map((envelope) => {
    const { message, signer } = openMessage(
      SigningContext.modelRelease,
      ModelRelease,
      envelope,
      (pk) => siteIdOf(pk) !== undefined,
    );
    if (siteIdOf(signer) !== message.siteId)
      throw new HeflError('integrity', `a release names ${message.siteId} but is signed by another site`);
    return message;
  });
  const refused = releases.filter((r) => !r.allowed);
  if (refused.length > 0) {
    throw new HeflError(
      'permission_denied',
      `not released: ${refused.map((r) => `${r.siteId} (${r.reason})`).join('; ')}`,
    );
  }
  const hashes = new Set(releases.map((r) => r.modelHash));
  if (hashes.size !== 1) throw new HeflError('integrity', 'sites released different models');
  const first = releases[0]!;
  const plain = openAsResearcher(first.sealedNonce, first.sealedModel, researcherSealingSecret);
  const pkg = JSON.parse(new TextDecoder().decode(plain)) as ReleasePackage;
  if (pkg.format !== 'hefl-model-release/v1')
    throw new HeflError('integrity', `unknown release format ${String(pkg.format)}`);
  const weights = new Uint8Array(Buffer.from(pkg.weightsBase64, 'base64'));
  const floats = new Float32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4);
  if (modelHash(floats) !== first.modelHash || pkg.card.modelHash !== first.modelHash) {
    throw new HeflError('integrity', 'the released weights do not hash to the model the sites signed');
  }
  return { modelJson: JSON.stringify(pkg.modelJson, null, 2), weights, card: pkg.card };
}
