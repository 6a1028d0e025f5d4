import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { sha256, toHex } from './digest.js';
import {
  generateSigningKeyPair,
  keyId,
  signDetached,
  signingKeyPairFromSeed,
  verifyDetached,
} from './signing-keys.js';

const message = new TextEncoder().encode('round 3 update');

describe('signing keys', () => {
  it('matches RFC 8032 test 1 (empty message)', () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');

    const pair = signingKeyPairFromSeed(seed);
    const signature = signDetached(new Uint8Array(0), pair.secretKey);

    expect(toHex(pair.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(toHex(signature)).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('verifies its own signature and rejects tampering, another key and bad lengths', () => {
    const pair = generateSigningKeyPair();
    const other = generateSigningKeyPair();

    const signature = signDetached(message, pair.secretKey);
    const flipped = signature.slice();
    flipped[10] = flipped[10]! ^ 1;
    const alteredMessage = message.slice();
    alteredMessage[0] = alteredMessage[0]! ^ 1;

    expect(verifyDetached(message, signature, pair.publicKey)).toBe(true);
    expect(verifyDetached(message, flipped, pair.publicKey)).toBe(false);
    expect(verifyDetached(alteredMessage, signature, pair.publicKey)).toBe(false);
    expect(verifyDetached(message, signature, other.publicKey)).toBe(false);
    expect(verifyDetached(message, signature.subarray(0, 63), pair.publicKey)).toBe(false);
    expect(verifyDetached(message, signature, pair.publicKey.subarray(0, 31))).toBe(false);
  });

  it('keyId is the first 16 bytes of SHA-256(publicKey) in hex', () => {
    const pair = generateSigningKeyPair();

    const id = keyId(pair.publicKey);

    expect(id).toHaveLength(32);
    expect(id).toBe(toHex(sha256(pair.publicKey)).slice(0, 32));
    expect(keyId(generateSigningKeyPair().publicKey)).not.toBe(id);
  });

  it('refuses keys and seeds of the wrong size', () => {
    expect(() => keyId(new Uint8Array(31))).toThrow(HeflError);
    expect(() => signingKeyPairFromSeed(new Uint8Array(16))).toThrow(HeflError);
    expect(() => signDetached(message, new Uint8Array(32))).toThrow(HeflError);
  });
});
