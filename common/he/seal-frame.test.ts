import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeContext } from './he-context.js';
import { getProfile } from './he-profile.js';
import { SealFrame } from './seal-frame.js';

describe('SealFrame', () => {
  let he: HeContext;
  beforeAll(async () => {
    he = await HeContext.create(getProfile('bgv-n2048-q54-t38/v1'));
  });
  afterAll(() => he.delete());

  it('derives from public parameters exactly the framing SEAL writes around real ciphertexts', () => {
    const { seal, context } = he;
    const keygen = seal.KeyGenerator(context);
    const sk = keygen.secretKey();
    const pk = keygen.createPublicKey();
    const encryptor = seal.Encryptor(context, pk, sk);
    const encoder = seal.BatchEncoder(context);
    const plain = encoder.encode(BigInt64Array.from({ length: 2048 }, (_, i) => BigInt(i - 7))) as ReturnType<
      typeof seal.PlainText
    >;
    const seededBytes = encryptor.encryptSymmetricSerializable(plain).saveArray(seal.ComprModeType.none);
    const full = seal.CipherText();
    full.loadArray(context, seededBytes);
    const fullBytes = full.saveArray(seal.ComprModeType.none);
    const pid = context.firstParmsId;

    for (const [seeded, bytes] of [
      [true, seededBytes],
      [false, fullBytes],
    ] as const) {
      const learned = SealFrame.learn(bytes, seeded);
      const derived = SealFrame.forBgv(pid.values, 2048, 1, seeded);
      expect(derived.prefix).toEqual(learned.prefix);
      expect(derived.suffixConstant).toEqual(learned.suffixConstant);
      expect(derived.suffixVariableLength).toBe(learned.suffixVariableLength);
      expect(derived.serializedLength).toBe(bytes.length);
    }
    for (const o of [pid, full, plain, encoder, encryptor, pk, sk, keygen]) o.delete();
  });
});
