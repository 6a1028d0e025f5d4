import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';
import { HeflError } from '../errors/index.js';
import type { CiphertextBatch } from './ciphertext-batch.js';
import { HeContext } from './he-context.js';
import type { HeProfile } from './he-profile.js';
import type { PreparedContribution, UploadShape, VectorAdder, VectorSum } from './vector-cipher.js';

/**
 * The coordinator's side of the HE codec. It is built from a profile alone — public
 * parameters, no secret, public or evaluation key — so it can parse, add and serialize
 * ciphertexts and nothing else: there is no decrypt here, and nothing to decrypt with.
 */
export class CiphertextAdder implements VectorAdder {
  readonly he: HeContext;
  private readonly evaluator: Evaluator;

  private constructor(he: HeContext) {
    this.he = he;
    this.evaluator = he.seal.Evaluator(he.context);
  }

  get profileId(): string {
    return this.he.profile.id;
  }

  uploadShape(valueCount: number): UploadShape {
    const { he } = this;
    const ciphertextCount = he.ciphertextCount(valueCount);
    const form = he.uploadForm;
    if (form === 'seeded') {
      const bytes = ciphertextCount * (4 + he.packedCiphertextLength('seeded'));
      return { form, ciphertextCount, minBytes: bytes, maxBytes: bytes };
    }
    // SEAL's compressed serialization varies; it is never above two uncompressed
    // polynomials over every prime, plus zstd's worst-case growth and SEAL's header.
    const { polyModulusDegree, coeffModulusBits } = he.profile;
    const most = Math.ceil(2 * polyModulusDegree * coeffModulusBits.length * 8 * 1.01) + 4096;
    return { form, ciphertextCount, minBytes: ciphertextCount * 5, maxBytes: ciphertextCount * (4 + most) };
  }

  static async create(profile: HeProfile): Promise<CiphertextAdder> {
    return new CiphertextAdder(await HeContext.create(profile));
  }

  /**
   * Starts an encrypted running sum of vectors of `valueCount` values. Memory is one
   * ciphertext per `slots` values, independent of how many sites contribute.
   */
  startSum(valueCount: number): EncryptedSum {
    if (!(Number.isInteger(valueCount) && valueCount >= 1)) {
      throw new HeflError('invalid_argument', `value count must be a positive integer, got ${valueCount}`);
    }
    return new EncryptedSum(this.he, this.evaluator, valueCount);
  }

  delete(): void {
    this.evaluator.delete();
    this.he.delete();
  }
}

/**
 * A running encrypted sum over whole contributions. A contribution is parsed and
 * validated completely before any of it is added, so a refused upload leaves the sum
 * exactly as it was.
 */
export class EncryptedSum implements VectorSum {
  readonly valueCount: number;
  private readonly he: HeContext;
  private readonly evaluator: Evaluator;
  private readonly sums: (CipherText | undefined)[];
  private contributionCount = 0;

  constructor(he: HeContext, evaluator: Evaluator, valueCount: number) {
    this.he = he;
    this.evaluator = evaluator;
    this.valueCount = valueCount;
    this.sums = new Array(he.ciphertextCount(valueCount)).fill(undefined);
  }

  get contributions(): number {
    return this.contributionCount;
  }

  /**
   * Parses and validates every ciphertext of a site's batch without touching the sum.
   * The returned contribution owns SEAL memory until committed or discarded.
   */
  prepare(batch: CiphertextBatch): PreparedContribution {
    this.he.checkBatch(batch, this.he.uploadForm, this.valueCount);
    const loaded: CipherText[] = [];
    try {
      for (const bytes of batch.ciphertexts) loaded.push(this.he.loadCiphertext(bytes, batch.form));
    } catch (error) {
      for (const ct of loaded) ct.delete();
      throw error;
    }
    return new LoadedContribution(this, loaded);
  }

  commit(prepared: PreparedContribution): void {
    if (
      !(prepared instanceof LoadedContribution) ||
      prepared.owner !== this ||
      prepared.ciphertexts.length === 0
    ) {
      throw new HeflError('internal', 'contribution was not prepared for this sum, or was already used');
    }
    prepared.ciphertexts.forEach((ct, i) => {
      const sum = this.sums[i];
      if (sum) {
        this.evaluator.add(sum, ct, sum);
        ct.delete();
      } else {
        this.sums[i] = ct;
      }
    });
    prepared.ciphertexts.length = 0;
    this.contributionCount++;
  }

  /** Validates a whole batch, then adds it; a refused batch leaves the sum untouched. */
  add(batch: CiphertextBatch): void {
    this.commit(this.prepare(batch));
  }

  /** The sum so far, ready to send to the sites, which alone can decrypt it. */
  result(): CiphertextBatch {
    if (this.contributionCount === 0)
      throw new HeflError('failed_precondition', 'the sum has no contributions');
    const form = this.he.sumForm;
    const ciphertexts = this.sums.map((ct) => this.he.saveCiphertext(ct!, form));
    return { profileId: this.he.profile.id, form, valueCount: this.valueCount, ciphertexts };
  }

  delete(): void {
    for (const ct of this.sums) ct?.delete();
    this.sums.fill(undefined);
  }
}

class LoadedContribution implements PreparedContribution {
  constructor(
    readonly owner: EncryptedSum,
    readonly ciphertexts: CipherText[],
  ) {}

  discard(): void {
    for (const ct of this.ciphertexts) ct.delete();
    this.ciphertexts.length = 0;
  }
}
