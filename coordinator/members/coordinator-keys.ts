import { keyId } from '../../common/crypto/index.js';

/**
 * The coordinator's Ed25519 identity: it signs receipts, round summaries and its audit
 * log. It has no HE key of any kind.
 */
export interface CoordinatorKeys {
  readonly signingPublicKey: Uint8Array;
  readonly signingSecretKey: Uint8Array;
}

export function coordinatorKeyId(keys: CoordinatorKeys): string {
  return keyId(keys.signingPublicKey);
}
