import type { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import type { SignedEnvelope as SignedEnvelopeProto } from '../../proto/gen/hefl/v1/envelope.js';
import { openEnvelope, signEnvelope, type TrustPredicate } from '../crypto/signed-envelope.js';
import { HeflError } from '../errors/index.js';
import type { SigningContextName } from './signing-context.js';

/** The encode/decode pair ts-proto generates for each message. */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromPartial(object: Partial<T>): T;
}

/** Encodes `message`, signs the bytes under `context`, and wraps them for the wire. */
export function signMessage<T>(
  context: SigningContextName,
  codec: MessageCodec<T>,
  message: Partial<T>,
  secretKey: Uint8Array,
): SignedEnvelopeProto {
  const payload = codec.encode(codec.fromPartial(message)).finish();
  const envelope = signEnvelope(context, payload, secretKey);
  return {
    payload: Buffer.from(envelope.payload),
    signature: Buffer.from(envelope.signature),
    signerPublicKey: Buffer.from(envelope.signerPublicKey),
  };
}

/**
 * Verifies an envelope BEFORE decoding its payload: an unknown signer or a bad
 * signature is refused ('unauthenticated') without the bytes ever reaching the decoder.
 * Undecodable bytes from a trusted signer are 'invalid_argument'.
 */
export function openMessage<T>(
  context: SigningContextName,
  codec: MessageCodec<T>,
  envelope: SignedEnvelopeProto | undefined,
  isTrusted: TrustPredicate,
): { message: T; signer: Uint8Array } {
  if (!envelope) throw new HeflError('invalid_argument', `missing ${context} envelope`);
  const payload = openEnvelope(
    context,
    { payload: envelope.payload, signature: envelope.signature, signerPublicKey: envelope.signerPublicKey },
    isTrusted,
  );
  try {
    return { message: codec.decode(payload), signer: new Uint8Array(envelope.signerPublicKey) };
  } catch (cause) {
    throw new HeflError('invalid_argument', `${context} payload does not decode`, { cause });
  }
}
