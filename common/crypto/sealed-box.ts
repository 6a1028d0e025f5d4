import nacl from 'tweetnacl';
import { HeflError } from '../errors/index.js';

/**
 * An X25519 key pair for sealing secrets to a participant (the job's HE secret key to each
 * accepting site, the final model to the researcher). The secret key never leaves its
 * owner; the public key is published in the federation manifest.
 */
export interface BoxKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * Authenticated public-key encryption output (`nacl.box`: X25519 + XSalsa20-Poly1305).
 * Only the recipient's secret key opens it, and opening proves it came from the holder of
 * the sender's secret key. Unlike libsodium's anonymous "sealed box", the sender is known.
 * There is no associated data: put job ids inside the plaintext and sign the bundle.
 */
export interface SealedMessage {
  /** 24 random bytes; never reused with the same key pair (drawn fresh per message). */
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export const BOX_PUBLIC_KEY_BYTES = nacl.box.publicKeyLength;
export const BOX_SECRET_KEY_BYTES = nacl.box.secretKeyLength;
export const BOX_NONCE_BYTES = nacl.box.nonceLength;

export function generateBoxKeyPair(): BoxKeyPair {
  return nacl.box.keyPair();
}

/** The X25519 public key of a box secret key (a key file's pair is checked against it). */
export function boxPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return nacl.box.keyPair.fromSecretKey(secretKey).publicKey;
}

/**
 * The raw X25519 shared point of our secret key and a peer's public key (not a key by
 * itself: callers hash it together with what it is bound to, e.g. the pairwise mask seeds).
 */
export function x25519SharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  return nacl.scalarMult(secretKey, peerPublicKey);
}

function checkKeys(publicKey: Uint8Array, secretKey: Uint8Array): void {
  if (publicKey.byteLength !== BOX_PUBLIC_KEY_BYTES || secretKey.byteLength !== BOX_SECRET_KEY_BYTES) {
    throw new HeflError('invalid_argument', `X25519 keys must be ${BOX_PUBLIC_KEY_BYTES} bytes each`);
  }
}

/** Encrypts `plaintext` so that only `recipientPublicKey`'s owner can read it. */
export function sealTo(
  recipientPublicKey: Uint8Array,
  senderSecretKey: Uint8Array,
  plaintext: Uint8Array,
): SealedMessage {
  checkKeys(recipientPublicKey, senderSecretKey);
  const nonce = nacl.randomBytes(BOX_NONCE_BYTES);
  const ciphertext = nacl.box(plaintext, nonce, recipientPublicKey, senderSecretKey);
  return { nonce, ciphertext };
}

/**
 * Decrypts a message sealed by `senderPublicKey`'s owner to us. Throws `integrity` if the
 * ciphertext or nonce was altered, is truncated, was sealed by another sender or to another
 * recipient; throws `invalid_argument` for keys of the wrong length.
 */
export function openSealed(
  sealed: SealedMessage,
  senderPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array,
): Uint8Array {
  checkKeys(senderPublicKey, recipientSecretKey);
  if (sealed.nonce.byteLength !== BOX_NONCE_BYTES) {
    throw new HeflError('integrity', `sealed message nonce must be ${BOX_NONCE_BYTES} bytes`);
  }
  const plaintext = nacl.box.open(sealed.ciphertext, sealed.nonce, senderPublicKey, recipientSecretKey);
  if (plaintext === null) {
    throw new HeflError(
      'integrity',
      'sealed message failed authentication (tampered, or wrong sender or recipient)',
    );
  }
  return plaintext;
}
