import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { Context } from 'node-seal/implementation/context.js';
import { HeflError } from '../errors/index.js';
import type { CiphertextBatch, CiphertextForm } from './ciphertext-batch.js';
import { packCoefficients, packedLength, unpackCoefficients } from './coefficient-packer.js';
import { type HeProfile, slotsPerCiphertext } from './he-profile.js';
import { SealFrame } from './seal-frame.js';
import { loadSeal, type SEALLibrary } from './seal-loader.js';

/** Upper bound for a `seal-zstd` ciphertext, checked before SEAL parses it. */
const MAX_SEAL_BYTES = 64 * 1024 * 1024;

/**
 * The public half of a profile, live in SEAL: encryption parameters, the wire format
 * and ciphertext validation. It holds no key material of any kind; both the site and
 * the coordinator build one. Call `delete()` to free the WebAssembly objects.
 */
export class HeContext {
  readonly profile: HeProfile;
  readonly seal: SEALLibrary;
  readonly context: Context;
  readonly slots: number;
  /** BGV plain modulus t (0n for CKKS). */
  readonly plainModulus: bigint;
  private readonly coeffModulus: bigint;
  private readonly frames: { seeded: SealFrame; full: SealFrame } | undefined;

  private constructor(profile: HeProfile, seal: SEALLibrary, context: Context, plainModulus: bigint) {
    this.profile = profile;
    this.seal = seal;
    this.context = context;
    this.slots = slotsPerCiphertext(profile);
    this.plainModulus = plainModulus;
    const data = context.firstContextData;
    const parms = data.parms;
    const moduli = parms.coeffModulus;
    parms.delete();
    data.delete();
    this.coeffModulus = moduli[0] ?? 0n;
    if (profile.wire === 'packed') {
      if (moduli.length !== 1) throw new HeflError('internal', 'packed wire format needs a single prime');
      const pid = context.firstParmsId;
      const parmsId = pid.values;
      pid.delete();
      this.frames = {
        seeded: SealFrame.forBgv(parmsId, profile.polyModulusDegree, 1, true),
        full: SealFrame.forBgv(parmsId, profile.polyModulusDegree, 1, false),
      };
    }
  }

  static async create(profile: HeProfile): Promise<HeContext> {
    const seal = await loadSeal();
    const scheme = profile.scheme === 'bgv' ? seal.SchemeType.bgv : seal.SchemeType.ckks;
    const parms = seal.EncryptionParameters(scheme);
    const degree = profile.polyModulusDegree;
    parms.setPolyModulusDegree(degree);
    parms.setCoeffModulus(seal.CoeffModulus.Create(degree, Int32Array.from(profile.coeffModulusBits)));
    let plainModulus = 0n;
    if (profile.scheme === 'bgv') {
      const t = seal.PlainModulus.Batching(degree, profile.plainModulusBits ?? 0);
      parms.setPlainModulus(t);
      plainModulus = t.value;
      t.delete();
    }
    const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
    parms.delete();
    if (!context.parametersSet()) {
      const reason = 'SEAL did not accept the parameters';
      context.delete();
      throw new HeflError('internal', `HE profile ${profile.id} is not valid in SEAL: ${reason}`);
    }
    return new HeContext(profile, seal, context, plainModulus);
  }

  /** The form a site's fresh ciphertexts travel in under this profile. */
  get uploadForm(): CiphertextForm {
    return this.profile.wire === 'packed' ? 'seeded' : 'seal-zstd';
  }

  /** The form the coordinator's sums travel in under this profile. */
  get sumForm(): CiphertextForm {
    return this.profile.wire === 'packed' ? 'full' : 'seal-zstd';
  }

  ciphertextCount(valueCount: number): number {
    return Math.ceil(valueCount / this.slots);
  }

  /** Exact byte length of one ciphertext in a packed form. */
  packedCiphertextLength(form: 'seeded' | 'full'): number {
    const frame = this.requireFrames()[form];
    return packedLength(frame.coefficientCount, this.coefficientBits) + frame.suffixVariableLength;
  }

  /**
   * Checks a batch's envelope (profile, form, counts) before any ciphertext is parsed.
   * Throws 'profile_mismatch' or 'malformed_ciphertext' naming what is wrong.
   */
  checkBatch(batch: CiphertextBatch, form: CiphertextForm, valueCount?: number): void {
    if (batch.profileId !== this.profile.id) {
      throw new HeflError(
        'profile_mismatch',
        `ciphertexts were made under profile '${batch.profileId}', expected '${this.profile.id}'`,
      );
    }
    if (batch.form !== form) {
      throw new HeflError('malformed_ciphertext', `expected ${form} ciphertexts, got ${batch.form}`);
    }
    if (!(Number.isInteger(batch.valueCount) && batch.valueCount >= 1)) {
      throw new HeflError(
        'malformed_ciphertext',
        `value count ${batch.valueCount} is not a positive integer`,
      );
    }
    if (valueCount !== undefined && batch.valueCount !== valueCount) {
      throw new HeflError(
        'malformed_ciphertext',
        `batch has ${batch.valueCount} values, expected ${valueCount}`,
      );
    }
    const expected = this.ciphertextCount(batch.valueCount);
    if (batch.ciphertexts.length !== expected) {
      throw new HeflError(
        'malformed_ciphertext',
        `batch has ${batch.ciphertexts.length} ciphertexts, ${batch.valueCount} values need ${expected}`,
      );
    }
  }

  /** SEAL serialization -> wire bytes. */
  toWire(serialized: Uint8Array, form: CiphertextForm): Uint8Array {
    if (form === 'seal-zstd') return serialized;
    if (form === 'plain') throw new HeflError('internal', 'plain batches do not go through SEAL');
    const frame = this.requireFrames()[form];
    const { coefficientsAt, variableAt } = frame.match(serialized);
    const packed = packCoefficients(
      serialized,
      coefficientsAt,
      frame.coefficientCount,
      this.coefficientBits,
      this.coeffModulus,
    );
    const out = new Uint8Array(packed.length + frame.suffixVariableLength);
    out.set(packed, 0);
    out.set(serialized.subarray(variableAt), packed.length);
    return out;
  }

  /**
   * Parses wire bytes into a SEAL ciphertext owned by the caller (who must `delete()` it).
   * Wrong length, unreduced coefficients, foreign parameters or bytes SEAL rejects all
   * become a HeflError ('malformed_ciphertext' / 'profile_mismatch'), never a crash.
   */
  loadCiphertext(wire: Uint8Array, form: CiphertextForm): CipherText {
    let serialized: Uint8Array;
    if (form === 'seal-zstd') {
      if (wire.length === 0 || wire.length > MAX_SEAL_BYTES) {
        throw new HeflError(
          'malformed_ciphertext',
          `ciphertext of ${wire.length} bytes is outside 1..${MAX_SEAL_BYTES}`,
        );
      }
      serialized = wire;
    } else if (form === 'plain') {
      throw new HeflError('malformed_ciphertext', 'a plain batch is not a ciphertext');
    } else {
      const frame = this.requireFrames()[form];
      const expected = this.packedCiphertextLength(form);
      if (wire.length !== expected) {
        throw new HeflError(
          'malformed_ciphertext',
          `ciphertext has ${wire.length} bytes, expected ${expected}`,
        );
      }
      const coefficientBytes = wire.length - frame.suffixVariableLength;
      const { bytes, coefficientsAt } = frame.allocate(wire.subarray(coefficientBytes));
      unpackCoefficients(
        wire.subarray(0, coefficientBytes),
        frame.coefficientCount,
        this.coefficientBits,
        this.coeffModulus,
        bytes,
        coefficientsAt,
      );
      serialized = bytes;
    }
    const ct = this.seal.CipherText();
    try {
      ct.loadArray(this.context, serialized);
    } catch (cause) {
      ct.delete();
      throw new HeflError('malformed_ciphertext', 'SEAL refused the ciphertext bytes', {
        cause: sealReason(cause),
      });
    }
    if (form === 'seal-zstd') this.checkLoadedParameters(ct);
    return ct;
  }

  /** Serializes a SEAL ciphertext (a sum: both polynomials) to wire bytes. */
  saveCiphertext(ct: CipherText, form: CiphertextForm): Uint8Array {
    if (form === 'seal-zstd') return ct.saveArray(this.seal.ComprModeType.zstd);
    return this.toWire(ct.saveArray(this.seal.ComprModeType.none), form);
  }

  delete(): void {
    this.context.delete();
  }

  private get coefficientBits(): number {
    return this.profile.coeffModulusBits[0] ?? 0;
  }

  private requireFrames(): { seeded: SealFrame; full: SealFrame } {
    if (!this.frames)
      throw new HeflError('internal', `profile ${this.profile.id} does not use the packed wire`);
    return this.frames;
  }

  private checkLoadedParameters(ct: CipherText): void {
    const got = ct.parmsId;
    const want = this.context.firstParmsId;
    const same = got.values.every((v, i) => v === want.values[i]);
    got.delete();
    want.delete();
    if (!same || ct.size !== 2) {
      ct.delete();
      throw new HeflError('profile_mismatch', 'ciphertext was made under other parameters');
    }
  }
}

/** node-seal errors can carry huge minified stacks; keep only a short reason. */
function sealReason(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.slice(0, 200);
}
