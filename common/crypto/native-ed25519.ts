import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { HeflError } from '../errors/index.js';
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES, SIGNING_SECRET_KEY_BYTES } from './signing-keys.js';

/*
 * Ed25519 through node:crypto (OpenSSL) for the audit log's hot paths. Signatures are
 * byte-identical to tweetnacl's `signDetached` / `verifyDetached` (Ed25519 is
 * deterministic; see native-ed25519.test.ts), but measured on this machine tweetnacl needs
 * ~12 ms to sign and ~20 ms to verify, OpenSSL ~0.06 ms and ~0.3 ms: a 1,000,000-entry log
 * would take hours to verify with tweetnacl. Keys keep tweetnacl's layout (64-byte secret
 * key = seed || public key) so callers still hold `SigningKeyPair`s.
 * Candidate to move into common/crypto once the owner agrees.
 */

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.byteLength !== SIGNING_PUBLIC_KEY_BYTES) {
    throw new HeflError(
      'invalid_argument',
      `public key must be ${SIGNING_PUBLIC_KEY_BYTES} bytes, got ${publicKey.byteLength}`,
    );
  }
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
}

/** Signs messages with a 64-byte tweetnacl-layout secret key; the key object is built once. */
export function nativeSigner(secretKey: Uint8Array): (message: Uint8Array) => Uint8Array {
  if (secretKey.byteLength !== SIGNING_SECRET_KEY_BYTES) {
    throw new HeflError(
      'invalid_argument',
      `secret key must be ${SIGNING_SECRET_KEY_BYTES} bytes, got ${secretKey.byteLength}`,
    );
  }
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  return (message) => new Uint8Array(sign(null, message, key));
}

/**
 * Verifies signatures by one 32-byte public key. Like `verifyDetached`, malformed input
 * (a signature of the wrong length, bytes that are no curve point) yields false, never a throw.
 */
export function nativeVerifier(
  publicKey: Uint8Array,
): (message: Uint8Array, signature: Uint8Array) => boolean {
  const key = publicKeyObject(publicKey);
  return (message, signature) => {
    if (signature.byteLength !== SIGNATURE_BYTES) return false;
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}
