import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { bytesEqual } from './digest.js';
import { openEnvelope, type SignedEnvelope, signEnvelope } from './signed-envelope.js';
import { generateSigningKeyPair } from './signing-keys.js';

const UPDATE = 'hefl.v1/update';
const payload = new TextEncoder().encode('{"job":"j1","round":2,"nonce":"n"}');

function trustOnly(publicKey: Uint8Array) {
  return (candidate: Uint8Array) => bytesEqual(candidate, publicKey);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(HeflError.is(error)).toBe(true);
    expect((error as HeflError).code).toBe(code);
    return;
  }
  throw new Error('expected a throw');
}

describe('signed envelope', () => {
  it('opens an envelope from a trusted signer and returns the payload', () => {
    const site = generateSigningKeyPair();
    const envelope = signEnvelope(UPDATE, payload, site.secretKey);

    const opened = openEnvelope(UPDATE, envelope, trustOnly(site.publicKey));

    expect(opened).toEqual(payload);
    expect(envelope.signerPublicKey).toEqual(site.publicKey);
  });

  it('refuses a tampered payload or signature', () => {
    const site = generateSigningKeyPair();
    const envelope = signEnvelope(UPDATE, payload, site.secretKey);
    const badPayload = envelope.payload.slice();
    badPayload[5] = badPayload[5]! ^ 0x01;
    const badSignature = envelope.signature.slice();
    badSignature[0] = badSignature[0]! ^ 0x80;

    expectCode(
      () => openEnvelope(UPDATE, { ...envelope, payload: badPayload }, trustOnly(site.publicKey)),
      'unauthenticated',
    );
    expectCode(
      () => openEnvelope(UPDATE, { ...envelope, signature: badSignature }, trustOnly(site.publicKey)),
      'unauthenticated',
    );
  });

  it('refuses a signature made for another context', () => {
    const site = generateSigningKeyPair();
    const receipt = signEnvelope('hefl.v1/receipt', payload, site.secretKey);
    const sameLength = signEnvelope('hefl.v1/upload', payload, site.secretKey);

    expectCode(() => openEnvelope(UPDATE, receipt, trustOnly(site.publicKey)), 'unauthenticated');
    expectCode(() => openEnvelope(UPDATE, sameLength, trustOnly(site.publicKey)), 'unauthenticated');
  });

  it('refuses an untrusted signer even with a valid signature', () => {
    const site = generateSigningKeyPair();
    const stranger = generateSigningKeyPair();
    const envelope = signEnvelope(UPDATE, payload, stranger.secretKey);

    expectCode(() => openEnvelope(UPDATE, envelope, trustOnly(site.publicKey)), 'unauthenticated');
  });

  it('refuses a key swapped in for a trusted one', () => {
    const site = generateSigningKeyPair();
    const stranger = generateSigningKeyPair();
    const forged: SignedEnvelope = {
      ...signEnvelope(UPDATE, payload, stranger.secretKey),
      signerPublicKey: site.publicKey,
    };

    expectCode(() => openEnvelope(UPDATE, forged, trustOnly(site.publicKey)), 'unauthenticated');
  });

  it('refuses malformed lengths and bad context strings', () => {
    const site = generateSigningKeyPair();
    const envelope = signEnvelope(UPDATE, payload, site.secretKey);

    expectCode(
      () => openEnvelope(UPDATE, { ...envelope, signature: envelope.signature.subarray(1) }, () => true),
      'unauthenticated',
    );
    expectCode(() => signEnvelope('', payload, site.secretKey), 'invalid_argument');
    expectCode(() => signEnvelope('has space', payload, site.secretKey), 'invalid_argument');
  });

  it('does not share memory with the caller', () => {
    const site = generateSigningKeyPair();
    const input = payload.slice();
    const envelope = signEnvelope(UPDATE, input, site.secretKey);
    input[0] = 0;

    const opened = openEnvelope(UPDATE, envelope, trustOnly(site.publicKey));

    expect(opened).toEqual(payload);
  });
});
