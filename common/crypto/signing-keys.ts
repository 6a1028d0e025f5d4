import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import nacl from 'tweetnacl';
import { HeflError } from '../errors/index.js';
import { sha256, toHex } from './digest.js';

/**
 * An Ed25519 key pair. The secret key (64 bytes: seed || public key, tweetnacl layout) stays
 * with its owner (a site, researcher or auditor) and never crosses the network; the 32-byte
 * public key is what the federation manifest admits.
 */
export interface SigningKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export const SIGNING_PUBLIC_KEY_BYTES = nacl.sign.publicKeyLength;
export const SIGNING_SECRET_KEY_BYTES = nacl.sign.secretKeyLength;
export const SIGNATURE_BYTES = nacl.sign.signatureLength;
/** The seed is the first half of a 64-byte secret key; the public key is the second. */
export const SIGNING_SEED_BYTES = nacl.sign.seedLength;

/** A fresh key pair from the platform CSPRNG (tweetnacl uses node:crypto under Node). */
export function generateSigningKeyPair(): SigningKeyPair {
  return nacl.sign.keyPair();
}

/** Rebuilds a key pair from its 32-byte seed (deterministic; for restoring stored keys and tests). */
export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  if (seed.byteLength !== nacl.sign.seedLength) {
    throw new HeflError(
      'invalid_argument',
      `Ed25519 seed must be ${nacl.sign.seedLength} bytes, got ${seed.byteLength}`,
    );
  }
  return nacl.sign.keyPair.fromSeed(seed);
}

/**
 * Short, stable name of a public key for logs, manifests and audit entries:
 * the first 16 bytes of SHA-256(publicKey) as 32 lower-case hex characters.
 */
export function keyId(publicKey: Uint8Array): string {
  if (publicKey.byteLength !== SIGNING_PUBLIC_KEY_BYTES) {
    throw new HeflError(
      'invalid_argument',
      `public key must be ${SIGNING_PUBLIC_KEY_BYTES} bytes, got ${publicKey.byteLength}`,
    );
  }
  return toHex(sha256(publicKey).subarray(0, 16));
}

/** Detached Ed25519 signature (64 bytes) over `message`. */
export function signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.byteLength !== SIGNING_SECRET_KEY_BYTES) {
    throw new HeflError(
      'invalid_argument',
      `secret key must be ${SIGNING_SECRET_KEY_BYTES} bytes, got ${secretKey.byteLength}`,
    );
  }
  // OpenSSL's Ed25519 (deterministic: the same 64 bytes tweetnacl makes, ~200x faster; see
  // native-ed25519.ts). A federation of 100 sites spent most of its CPU in tweetnacl.
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  return new Uint8Array(sign(null, message, key));
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * True only for a valid signature by `publicKey` over exactly `message`. Malformed input
 * (wrong key or signature length, as an attacker may send) yields false, never a throw.
 */
export function verifyDetached(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.byteLength !== SIGNATURE_BYTES || publicKey.byteLength !== SIGNING_PUBLIC_KEY_BYTES)
    return false;
  // OpenSSL (RFC 8032; also refuses a non-canonical S, which tweetnacl let through).
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
