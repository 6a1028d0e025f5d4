import type { BatchEncoder } from 'node-seal/implementation/batch-encoder.js';
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import { HeflError } from '../errors/index.js';
import { addMaskInto } from '../fl/pairwise-mask.js';
import type { CiphertextBatch } from './ciphertext-batch.js';
import { FixedPointQuantizer, type QuantizerConfig } from './fixed-point-quantizer.js';
import { HeContext } from './he-context.js';
import type { HeProfile } from './he-profile.js';
import type { SiteVectorCipher, SumCheck } from './vector-cipher.js';

/**
 * The site's side of the HE codec: it holds the job's secret key and is the only object
 * in hefl that can decrypt. Only site code constructs it; the coordinator never does
 * (it gets a {@link CiphertextAdder}). The secret key leaves this object only through
 * {@link SiteCipher.exportSecretKey}, for sealing to another site in the key ceremony.
 */
export class SiteCipher implements SiteVectorCipher {
  readonly he: HeContext;
  /** BGV: the fixed-point quantizer (clip range and scale). CKKS: undefined. */
  readonly quantizer: FixedPointQuantizer | undefined;
  private readonly secretKey: SecretKey;
  private readonly encryptor: Encryptor;
  private readonly decryptor: Decryptor;
  private readonly batchEncoder: BatchEncoder | undefined;
  private readonly ckksEncoder: CKKSEncoder | undefined;

  private constructor(he: HeContext, secretKey: SecretKey, quantizer: QuantizerConfig) {
    const { seal, context } = he;
    this.he = he;
    this.secretKey = secretKey;
    const keygen = seal.KeyGenerator(context, secretKey);
    const publicKey = keygen.createPublicKey();
    this.encryptor = seal.Encryptor(context, publicKey, secretKey);
    publicKey.delete();
    keygen.delete();
    this.decryptor = seal.Decryptor(context, secretKey);
    if (he.profile.scheme === 'bgv') {
      this.batchEncoder = seal.BatchEncoder(context);
      this.quantizer = new FixedPointQuantizer(quantizer, he.plainModulus);
    } else {
      this.ckksEncoder = seal.CKKSEncoder(context);
    }
  }

  get plainModulus(): bigint | undefined {
    return this.quantizer ? this.he.plainModulus : undefined;
  }

  get profileId(): string {
    return this.he.profile.id;
  }

  /** Fresh keys for a new job (the dealer's side of the key ceremony). */
  static async generate(profile: HeProfile, quantizer: QuantizerConfig): Promise<SiteCipher> {
    const he = await HeContext.create(profile);
    const keygen = he.seal.KeyGenerator(he.context);
    const secretKey = keygen.secretKey();
    keygen.delete();
    return new SiteCipher(he, secretKey, quantizer);
  }

  /** Rebuilds the cipher from a secret key received (sealed) in the key ceremony. */
  static async fromSecretKey(
    profile: HeProfile,
    secretKeyBytes: Uint8Array,
    quantizer: QuantizerConfig,
  ): Promise<SiteCipher> {
    const he = await HeContext.create(profile);
    const secretKey = he.seal.SecretKey();
    try {
      secretKey.loadArray(he.context, secretKeyBytes);
    } catch (cause) {
      secretKey.delete();
      he.delete();
      throw new HeflError('integrity', 'the HE secret key bytes are not valid for this profile', {
        cause: cause instanceof Error ? cause.message.slice(0, 200) : String(cause),
      });
    }
    return new SiteCipher(he, secretKey, quantizer);
  }

  /** The secret key bytes, only to be sealed to another accepting site. Never log or send them in the clear. */
  exportSecretKey(): Uint8Array {
    return this.secretKey.saveArray(this.he.seal.ComprModeType.zstd);
  }

  /**
   * Encrypts a vector. BGV: values are clipped and quantised first (see
   * {@link FixedPointQuantizer}); `clipped` counts the values that hit the clip range.
   * `mask` (BGV only): one value in [0, t) per input, added mod t after quantising.
   */
  encrypt(values: ArrayLike<number>, mask?: Float64Array): { batch: CiphertextBatch; clipped: number } {
    const { he } = this;
    if (values.length < 1) throw new HeflError('invalid_argument', 'cannot encrypt an empty vector');
    this.checkMask(mask, values.length);
    const count = he.ciphertextCount(values.length);
    const form = he.uploadForm;
    const ciphertexts: Uint8Array[] = new Array(count);
    let clipped = 0;
    const ints = this.quantizer ? new BigInt64Array(he.slots) : undefined;
    const floats = this.quantizer ? undefined : new Float64Array(he.slots);
    for (let c = 0; c < count; c++) {
      const from = c * he.slots;
      const n = Math.min(he.slots, values.length - from);
      const plain = this.encodeChunk(values, from, n, ints, floats, mask, (k) => {
        clipped += k;
      });
      try {
        ciphertexts[c] = this.encryptPlain(plain, form);
      } finally {
        plain.delete();
      }
    }
    return { batch: { profileId: he.profile.id, form, valueCount: values.length, ciphertexts }, clipped };
  }

  /**
   * BGV only: encrypts integers with |v| <= bound as they are (no quantisation), for
   * exact sums such as limb-encoded counts. Refuses a bound that maxSites contributions
   * could push past t/2. `mask`: as in {@link SiteCipher.encrypt}, added after the bound check.
   */
  encryptIntegers(values: BigInt64Array, bound: number, mask?: Float64Array): CiphertextBatch {
    const { he, quantizer, batchEncoder } = this;
    if (!quantizer || !batchEncoder)
      throw new HeflError('invalid_argument', 'integer encryption needs a BGV profile');
    if (BigInt(bound) * BigInt(quantizer.maxSites) > (he.plainModulus - 1n) / 2n) {
      throw new HeflError('overflow_risk', `${quantizer.maxSites} sites x bound ${bound} could overflow t/2`);
    }
    if (values.length < 1) throw new HeflError('invalid_argument', 'cannot encrypt an empty vector');
    this.checkMask(mask, values.length);
    const limit = BigInt(bound);
    const form = he.uploadForm;
    const count = he.ciphertextCount(values.length);
    const chunk = new BigInt64Array(he.slots);
    const ciphertexts: Uint8Array[] = new Array(count);
    for (let c = 0; c < count; c++) {
      const from = c * he.slots;
      chunk.fill(0n);
      const part = values.subarray(from, Math.min(values.length, from + he.slots));
      for (let i = 0; i < part.length; i++) {
        const v = part[i]!;
        if (v > limit || v < -limit)
          throw new HeflError('invalid_argument', `integer at index ${from + i} exceeds the bound`);
      }
      chunk.set(part);
      if (mask) addMaskInto(chunk, part.length, mask, from, he.plainModulus);
      const plain = he.seal.PlainText();
      try {
        batchEncoder.encode(chunk, plain);
        ciphertexts[c] = this.encryptPlain(plain, form);
      } finally {
        plain.delete();
      }
    }
    return { profileId: he.profile.id, form, valueCount: values.length, ciphertexts };
  }

  /**
   * Decrypts a sum made by the coordinator from `contributors` encrypted vectors.
   * BGV: the result is exact up to quantisation, |error| <= quantizer.errorBound(contributors).
   */
  decrypt(batch: CiphertextBatch, contributors: number): Float64Array {
    const { he } = this;
    he.checkBatch(batch, he.sumForm);
    this.quantizer?.checkContributors(contributors);
    const out = new Float64Array(batch.valueCount);
    batch.ciphertexts.forEach((bytes, c) => {
      const from = c * he.slots;
      const n = Math.min(he.slots, batch.valueCount - from);
      const ct = he.loadCiphertext(bytes, batch.form);
      const plain = he.seal.PlainText();
      try {
        this.decryptor.decrypt(ct, plain);
        if (this.batchEncoder && this.quantizer) {
          const sums = this.batchEncoder.decodeBigInt(plain, true) as BigInt64Array;
          this.quantizer.dequantizeInto(sums, n, contributors, out, from);
        } else if (this.ckksEncoder) {
          const decoded = this.ckksEncoder.decode(plain) as Float64Array;
          for (let i = 0; i < n; i++) out[from + i] = decoded[i]!;
        }
      } finally {
        plain.delete();
        ct.delete();
      }
    });
    return out;
  }

  /**
   * BGV only: decrypts a sum to its exact integers (the sum of the quantised inputs),
   * without dequantising. Tests and integer payloads (counts) use this.
   */
  decryptIntegers(batch: CiphertextBatch, contributors: number): BigInt64Array {
    const { he, quantizer, batchEncoder } = this;
    if (!quantizer || !batchEncoder)
      throw new HeflError('invalid_argument', 'integer decryption needs a BGV profile');
    he.checkBatch(batch, he.sumForm);
    quantizer.checkContributors(contributors);
    const out = new BigInt64Array(batch.valueCount);
    batch.ciphertexts.forEach((bytes, c) => {
      const from = c * he.slots;
      const ct = he.loadCiphertext(bytes, batch.form);
      const plain = he.seal.PlainText();
      try {
        this.decryptor.decrypt(ct, plain);
        const sums = batchEncoder.decodeBigInt(plain, true) as BigInt64Array;
        out.set(sums.subarray(0, Math.min(he.slots, batch.valueCount - from)), from);
      } finally {
        plain.delete();
        ct.delete();
      }
    });
    return out;
  }

  /**
   * Decrypts a sum of `contributors` inputs and counts the slots no honest sum can hold:
   * values beyond `contributors x perContribution` and non-zero padding (honest inputs are
   * zero-padded). BGV checks are exact; CKKS allows its approximation error and, having no
   * clip range, bounds quantised sections only by finiteness.
   */
  checkSum(batch: CiphertextBatch, contributors: number, perContribution: 'quantized' | number): SumCheck {
    const { he } = this;
    he.checkBatch(batch, he.sumForm);
    this.quantizer?.checkContributors(contributors);
    let outOfBound = 0;
    let nonZeroPadding = 0;
    batch.ciphertexts.forEach((bytes, c) => {
      const n = Math.min(he.slots, batch.valueCount - c * he.slots);
      const ct = he.loadCiphertext(bytes, batch.form);
      const plain = he.seal.PlainText();
      try {
        this.decryptor.decrypt(ct, plain);
        if (this.batchEncoder && this.quantizer) {
          const unit = perContribution === 'quantized' ? this.quantizer.maxMagnitude : perContribution;
          const limit = BigInt(unit) * BigInt(contributors);
          const slots = this.batchEncoder.decodeBigInt(plain, true) as BigInt64Array;
          for (let i = 0; i < slots.length; i++) {
            const v = slots[i]!;
            if (i >= n) {
              if (v !== 0n) nonZeroPadding++;
            } else if (v > limit || v < -limit) outOfBound++;
          }
        } else if (this.ckksEncoder) {
          // CKKS does not clip (no quantiser): only finiteness and the padding bind there.
          const unit = perContribution === 'quantized' ? Number.POSITIVE_INFINITY : perContribution;
          const slack = 1e-3 * contributors;
          const limit = unit * contributors + slack;
          const slots = this.ckksEncoder.decode(plain) as Float64Array;
          for (let i = 0; i < slots.length; i++) {
            const v = slots[i]!;
            if (i >= n) {
              if (!(Math.abs(v) <= slack)) nonZeroPadding++;
            } else if (!(Math.abs(v) <= limit)) outOfBound++;
          }
        }
      } finally {
        plain.delete();
        ct.delete();
      }
    });
    return { outOfBound, nonZeroPadding };
  }

  /** Remaining noise budget in bits of a BGV sum (diagnostics and tests). */
  noiseBudget(bytes: Uint8Array): number {
    const ct: CipherText = this.he.loadCiphertext(bytes, this.he.sumForm);
    try {
      return this.decryptor.invariantNoiseBudget(ct);
    } finally {
      ct.delete();
    }
  }

  delete(): void {
    this.encryptor.delete();
    this.decryptor.delete();
    this.batchEncoder?.delete();
    this.ckksEncoder?.delete();
    this.secretKey.delete();
    this.he.delete();
  }

  private encodeChunk(
    values: ArrayLike<number>,
    from: number,
    n: number,
    ints: BigInt64Array | undefined,
    floats: Float64Array | undefined,
    mask: Float64Array | undefined,
    onClipped: (k: number) => void,
  ): PlainText {
    const { seal } = this.he;
    const plain = seal.PlainText();
    if (this.batchEncoder && this.quantizer && ints) {
      const modulus = Number(this.he.plainModulus);
      onClipped(
        this.quantizer.quantizeInto(values, from, n, ints, mask ? { values: mask, modulus } : undefined),
      );
      this.batchEncoder.encode(ints, plain);
    } else if (this.ckksEncoder && floats) {
      for (let i = 0; i < floats.length; i++) {
        const v = i < n ? values[from + i]! : 0;
        if (!Number.isFinite(v))
          throw new HeflError('invalid_argument', `value at index ${from + i} is not finite`);
        floats[i] = v;
      }
      this.ckksEncoder.encode(floats, 2 ** (this.he.profile.ckksScaleBits ?? 40), plain);
    }
    return plain;
  }

  private checkMask(mask: Float64Array | undefined, length: number): void {
    if (!mask) return;
    if (!this.batchEncoder)
      throw new HeflError('invalid_argument', 'pairwise masks need a BGV profile (exact arithmetic mod t)');
    if (this.he.plainModulus >= 2n ** 52n)
      throw new HeflError('invalid_argument', 'pairwise masks need a plain modulus below 2^52');
    if (mask.length !== length)
      throw new HeflError('invalid_argument', `mask has ${mask.length} values for ${length} inputs`);
  }

  private encryptPlain(plain: PlainText, form: CiphertextBatch['form']): Uint8Array {
    const { seal } = this.he;
    if (this.he.profile.encryption === 'seeded-symmetric') {
      const serializable = this.encryptor.encryptSymmetricSerializable(plain);
      try {
        const mode = form === 'seal-zstd' ? seal.ComprModeType.zstd : seal.ComprModeType.none;
        return this.he.toWire(serializable.saveArray(mode), form);
      } finally {
        serializable.delete();
      }
    }
    const ct = seal.CipherText();
    try {
      this.encryptor.encrypt(plain, ct);
      return this.he.saveCiphertext(ct, form);
    } finally {
      ct.delete();
    }
  }
}
