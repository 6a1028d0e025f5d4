import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { bytesEqual, fromHex, Sha256Hasher, sha256, toHex } from './digest.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('digest', () => {
  it('matches the FIPS 180-2 "abc" and empty-string vectors', () => {
    expect(toHex(sha256(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(toHex(sha256())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes parts as their concatenation, and incrementally the same', () => {
    const whole = sha256(utf8('hello world'));

    const parts = sha256(utf8('hello'), utf8(' world'));
    const hasher = new Sha256Hasher().update(utf8('hel')).update(utf8('lo world'));

    expect(bytesEqual(parts, whole)).toBe(true);
    expect(bytesEqual(hasher.digest(), whole)).toBe(true);
  });

  it('refuses a second digest from the same hasher', () => {
    const hasher = new Sha256Hasher();
    hasher.digest();

    expect(() => hasher.digest()).toThrow(HeflError);
  });

  it('round-trips hex and rejects odd or non-hex input', () => {
    const bytes = Uint8Array.of(0, 1, 0xab, 0xff);

    expect(toHex(bytes)).toBe('0001abff');
    expect(fromHex('0001ABff')).toEqual(bytes);
    expect(() => fromHex('abc')).toThrow(HeflError);
    expect(() => fromHex('zz')).toThrow(HeflError);
  });

  it('bytesEqual is false for different lengths or contents', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });
});
