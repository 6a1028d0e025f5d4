import { CiphertextAdder } from './ciphertext-adder.js';
import { getProfile } from './he-profile.js';
import { PLAINTEXT_PROFILE_ID, PlaintextAdder } from './plaintext-insecure.js';
import type { VectorAdder } from './vector-cipher.js';

/** Coordinator side: an adder for a job's profile, from public parameters only. */
export async function createAdder(profileId: string): Promise<VectorAdder> {
  if (profileId === PLAINTEXT_PROFILE_ID) return new PlaintextAdder();
  return CiphertextAdder.create(getProfile(profileId));
}
