export { bytesEqual, fromHex, SHA256_BYTES, Sha256Hasher, sha256, toHex } from './digest.js';
export { inclusionProof, merkleLeafHash, merkleRoot, verifyInclusion } from './merkle-tree.js';
export {
  BOX_NONCE_BYTES,
  BOX_PUBLIC_KEY_BYTES,
  BOX_SECRET_KEY_BYTES,
  type BoxKeyPair,
  boxPublicKeyOf,
  generateBoxKeyPair,
  openSealed,
  type SealedMessage,
  sealTo,
  x25519SharedSecret,
} from './sealed-box.js';
export {
  openEnvelope,
  type SignedEnvelope,
  signEnvelope,
  signedBytes,
  type TrustPredicate,
} from './signed-envelope.js';
export {
  generateSigningKeyPair,
  keyId,
  SIGNATURE_BYTES,
  SIGNING_PUBLIC_KEY_BYTES,
  SIGNING_SECRET_KEY_BYTES,
  SIGNING_SEED_BYTES,
  type SigningKeyPair,
  signDetached,
  signingKeyPairFromSeed,
  verifyDetached,
} from './signing-keys.js';
