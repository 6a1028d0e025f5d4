import { generateBoxKeyPair, openSealed, sealTo } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';

/** Aggregate metrics of one global model, as a researcher reads them. */
export interface AggregateMetrics {
  /** The training round after which the evaluated model was produced (0 = initial model). */
  readonly modelRound: number;
  /** Correct / examples over all sites' held-out records together (pooled). */
  readonly accuracy: number;
  /** Unweighted mean of the sites' own held-out accuracies (FLamby's metric); summed under encryption. */
  readonly meanSiteAccuracy: number;
  readonly auc: number;
  readonly loss: number;
  /** Held-out examples summed over the sites. */
  readonly examples: number;
}

/**
 * Seals bytes to the researcher's X25519 key with a one-time sender key: the coordinator
 * relays them and cannot read them. Output: ephemeral public key (32 bytes) || ciphertext,
 * and the nonce. Used for aggregate metrics and for released models.
 */
export function sealForResearcher(
  plain: Uint8Array,
  researcherKey: Uint8Array,
): { nonce: Uint8Array; sealed: Uint8Array } {
  const ephemeral = generateBoxKeyPair();
  const box = sealTo(researcherKey, ephemeral.secretKey, plain);
  ephemeral.secretKey.fill(0);
  const sealed = new Uint8Array(32 + box.ciphertext.length);
  sealed.set(ephemeral.publicKey, 0);
  sealed.set(box.ciphertext, 32);
  return { nonce: box.nonce, sealed };
}

/** The researcher's side of {@link sealForResearcher}; 'integrity' if the bytes were altered. */
export function openAsResearcher(
  nonce: Uint8Array,
  sealed: Uint8Array,
  researcherSecretKey: Uint8Array,
): Uint8Array {
  if (sealed.length < 33) throw new HeflError('integrity', 'sealed bytes are truncated');
  return openSealed({ nonce, ciphertext: sealed.subarray(32) }, sealed.subarray(0, 32), researcherSecretKey);
}

export function sealMetrics(
  metrics: AggregateMetrics,
  researcherKey: Uint8Array,
): { nonce: Uint8Array; sealed: Uint8Array } {
  return sealForResearcher(new TextEncoder().encode(JSON.stringify(metrics)), researcherKey);
}

export function openMetrics(
  nonce: Uint8Array,
  sealed: Uint8Array,
  researcherSecretKey: Uint8Array,
): AggregateMetrics {
  return JSON.parse(
    new TextDecoder().decode(openAsResearcher(nonce, sealed, researcherSecretKey)),
  ) as AggregateMetrics;
}
