import { HeflError } from '../errors/index.js';
import {
  keyId,
  SIGNATURE_BYTES,
  SIGNING_PUBLIC_KEY_BYTES,
  signDetached,
  verifyDetached,
} from './signing-keys.js';

/**
 * Signed bytes as they travel: the encoded payload, the Ed25519 signature and the signer's
 * public key. We sign bytes, not objects, so the receiver verifies exactly what it will
 * decode. Ids (job, round, site) and a nonce belong inside `payload`; the envelope only
 * proves who produced those bytes and for which message kind (the context).
 */
export interface SignedEnvelope {
  readonly payload: Uint8Array;
  /** 64-byte detached Ed25519 signature over `signedBytes(context, payload)`. */
  readonly signature: Uint8Array;
  /** 32-byte Ed25519 public key; trusted only if the federation manifest admits it. */
  readonly signerPublicKey: Uint8Array;
}

/** Decides whether a public key may sign this kind of message (e.g. an admitted site). */
export type TrustPredicate = (publicKey: Uint8Array) => boolean;

const CONTEXT_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The bytes actually signed: `len(context) (1 byte) || context (ASCII) || payload`.
 * The length prefix keeps (context, payload) pairs unambiguous, so a signature made for
 * 'hefl.v1/update' can never verify as 'hefl.v1/receipt' or any other context.
 */
export function signedBytes(context: string, payload: Uint8Array): Uint8Array {
  if (!CONTEXT_PATTERN.test(context)) {
    throw new HeflError(
      'invalid_argument',
      'signing context must be 1-255 printable ASCII characters without spaces',
    );
  }
  const out = new Uint8Array(1 + context.length + payload.byteLength);
  out[0] = context.length;
  out.set(Buffer.from(context, 'ascii'), 1);
  out.set(payload, 1 + context.length);
  return out;
}

/** Signs `payload` for message kind `context` with the signer's 64-byte Ed25519 secret key. */
export function signEnvelope(context: string, payload: Uint8Array, secretKey: Uint8Array): SignedEnvelope {
  const signature = signDetached(signedBytes(context, payload), secretKey);
  return {
    payload: payload.slice(),
    signature,
    signerPublicKey: secretKey.slice(secretKey.byteLength - SIGNING_PUBLIC_KEY_BYTES),
  };
}

/**
 * Verifies the envelope and only then returns its payload (a copy) for decoding. Throws
 * `unauthenticated` if the signer is not trusted, the fields are malformed, the context
 * differs from the one it was signed for, or the signature does not match. The message
 * names the signer's key id for the local operator; peers see only the public code message.
 */
export function openEnvelope(
  context: string,
  envelope: SignedEnvelope,
  isTrusted: TrustPredicate,
): Uint8Array {
  const { payload, signature, signerPublicKey } = envelope;
  if (signerPublicKey.byteLength !== SIGNING_PUBLIC_KEY_BYTES || signature.byteLength !== SIGNATURE_BYTES) {
    throw new HeflError('unauthenticated', `malformed ${context} envelope: bad key or signature length`);
  }
  const signer = keyId(signerPublicKey);
  if (!isTrusted(signerPublicKey)) {
    throw new HeflError('unauthenticated', `${context} envelope signed by unknown key ${signer}`);
  }
  if (!verifyDetached(signedBytes(context, payload), signature, signerPublicKey)) {
    throw new HeflError('unauthenticated', `bad signature on ${context} envelope from key ${signer}`);
  }
  return payload.slice();
}
