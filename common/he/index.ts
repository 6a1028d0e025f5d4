export { CiphertextAdder, EncryptedSum } from './ciphertext-adder.js';
export { batchByteLength, type CiphertextBatch, type CiphertextForm } from './ciphertext-batch.js';
export { createAdder } from './create-adder.js';
export { FixedPointQuantizer, type QuantizerConfig } from './fixed-point-quantizer.js';
export { HeContext } from './he-context.js';
export {
  DEFAULT_PROFILE_ID,
  getProfile,
  type HeProfile,
  listProfiles,
  slotsPerCiphertext,
} from './he-profile.js';
export { PLAINTEXT_PROFILE_ID } from './plaintext-insecure.js';
export type {
  PreparedContribution,
  SiteVectorCipher,
  SumCheck,
  UploadShape,
  VectorAdder,
  VectorSum,
} from './vector-cipher.js';
