import type { QuantizerConfig } from './fixed-point-quantizer.js';
import { getProfile } from './he-profile.js';
import { PLAINTEXT_PROFILE_ID, PlaintextSiteCipher } from './plaintext-insecure.js';
import { SiteCipher } from './site-cipher.js';
import type { SiteVectorCipher } from './vector-cipher.js';

/** Site side: fresh keys for a job under `profileId` (the dealer's step of the ceremony). */
export async function generateSiteCipher(
  profileId: string,
  quantizer: QuantizerConfig,
): Promise<SiteVectorCipher> {
  if (profileId === PLAINTEXT_PROFILE_ID) return new PlaintextSiteCipher();
  return SiteCipher.generate(getProfile(profileId), quantizer);
}

/** Site side: the job's cipher from the secret key the dealer sealed to this site. */
export async function siteCipherFromKey(
  profileId: string,
  secretKey: Uint8Array,
  quantizer: QuantizerConfig,
): Promise<SiteVectorCipher> {
  if (profileId === PLAINTEXT_PROFILE_ID) return new PlaintextSiteCipher();
  return SiteCipher.fromSecretKey(getProfile(profileId), secretKey, quantizer);
}
