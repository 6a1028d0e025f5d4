export { type CiphertextBatch, type CiphertextForm, batchByteLength } from './ciphertext-batch.js';
export { CiphertextAdder, EncryptedSum } from './ciphertext-adder.js';
export { FixedPointQuantizer, type QuantizerConfig } from './fixed-point-quantizer.js';
export { HeContext } from './he-context.js';
export { DEFAULT_PROFILE_ID, getProfile, type HeProfile, listProfiles, slotsPerCiphertext } from './he-profile.js';
export { SiteCipher } from './site-cipher.js';
