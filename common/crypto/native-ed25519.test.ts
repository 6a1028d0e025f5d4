import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, signDetached, verifyDetached } from '../crypto/index.js';
import { nativeSigner, nativeVerifier } from './native-ed25519.js';

describe('native Ed25519', () => {
  it('produces the same signatures as tweetnacl and each verifies the other', () => {
    const key = generateSigningKeyPair();
    const message = new TextEncoder().encode('audit entry hash');

    const native = nativeSigner(key.secretKey)(message);
    const nacl = signDetached(message, key.secretKey);

    expect(native).toEqual(nacl);
    expect(nativeVerifier(key.publicKey)(message, nacl)).toBe(true);
    expect(verifyDetached(message, native, key.publicKey)).toBe(true);
  });

  it('returns false, never throws, for a wrong key, message or malformed signature', () => {
    const key = generateSigningKeyPair();
    const message = Uint8Array.of(1, 2, 3);
    const sig = nativeSigner(key.secretKey)(message);
    const verify = nativeVerifier(key.publicKey);

    expect(verify(Uint8Array.of(1, 2, 4), sig)).toBe(false);
    expect(nativeVerifier(generateSigningKeyPair().publicKey)(message, sig)).toBe(false);
    expect(verify(message, sig.subarray(1))).toBe(false);
    expect(verify(message, new Uint8Array(64).fill(0xff))).toBe(false);
  });
});
