import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { generateBoxKeyPair, openSealed, sealTo } from './sealed-box.js';

const secret = new TextEncoder().encode('HE secret key bytes for job j1');

function expectIntegrity(fn: () => unknown): void {
  expect(fn).toThrow(HeflError);
  try {
    fn();
  } catch (error) {
    expect((error as HeflError).code).toBe('integrity');
  }
}

describe('sealed box', () => {
  it('round-trips between dealer and recipient with fresh nonces', () => {
    const dealer = generateBoxKeyPair();
    const site = generateBoxKeyPair();

    const first = sealTo(site.publicKey, dealer.secretKey, secret);
    const second = sealTo(site.publicKey, dealer.secretKey, secret);

    expect(openSealed(first, dealer.publicKey, site.secretKey)).toEqual(secret);
    expect(first.nonce).not.toEqual(second.nonce);
    expect(first.ciphertext).not.toEqual(second.ciphertext);
  });

  it('fails integrity on a flipped ciphertext or nonce byte', () => {
    const dealer = generateBoxKeyPair();
    const site = generateBoxKeyPair();
    const sealed = sealTo(site.publicKey, dealer.secretKey, secret);
    const ciphertext = sealed.ciphertext.slice();
    ciphertext[ciphertext.length - 1] = ciphertext[ciphertext.length - 1]! ^ 1;
    const nonce = sealed.nonce.slice();
    nonce[0] = nonce[0]! ^ 1;

    expectIntegrity(() => openSealed({ ...sealed, ciphertext }, dealer.publicKey, site.secretKey));
    expectIntegrity(() => openSealed({ ...sealed, nonce }, dealer.publicKey, site.secretKey));
    expectIntegrity(() =>
      openSealed({ ...sealed, nonce: sealed.nonce.subarray(1) }, dealer.publicKey, site.secretKey),
    );
  });

  it('fails integrity for the wrong recipient or a claimed sender who did not seal it', () => {
    const dealer = generateBoxKeyPair();
    const site = generateBoxKeyPair();
    const other = generateBoxKeyPair();
    const sealed = sealTo(site.publicKey, dealer.secretKey, secret);

    expectIntegrity(() => openSealed(sealed, dealer.publicKey, other.secretKey));
    expectIntegrity(() => openSealed(sealed, other.publicKey, site.secretKey));
  });

  it('refuses keys of the wrong length as invalid_argument', () => {
    const dealer = generateBoxKeyPair();

    expect(() => sealTo(new Uint8Array(31), dealer.secretKey, secret)).toThrow(/X25519/);
  });
});
