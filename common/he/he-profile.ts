import { HeflError } from '../errors/index.js';

/**
 * A named, versioned set of homomorphic-encryption parameters. The id travels with every
 * ciphertext batch, so a site or the coordinator refuses ciphertexts made under other
 * parameters instead of adding garbage. Changing any field below means a new id.
 */
export interface HeProfile {
  /** Stable identifier, e.g. `bgv-n2048-q54-t38/v1`. */
  readonly id: string;
  readonly scheme: 'bgv' | 'ckks';
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient-modulus primes (SEAL CoeffModulus.Create). */
  readonly coeffModulusBits: readonly number[];
  /** BGV only: bit size of the batching plain modulus t. */
  readonly plainModulusBits?: number;
  /** CKKS only: log2 of the encoding scale. */
  readonly ckksScaleBits?: number;
  /**
   * `seeded-symmetric`: the site encrypts with the secret key and ships a PRNG seed in
   * place of the second polynomial (half the bytes; every site holds the key anyway).
   * `public-key`: classic public-key encryption, as NVIDIA FLARE/TenSEAL do.
   */
  readonly encryption: 'seeded-symmetric' | 'public-key';
  /**
   * `packed`: hefl's bit-packed wire format (coefficients at their modulus width).
   * `seal-zstd`: SEAL's own serialization with zstd, for comparison profiles.
   */
  readonly wire: 'packed' | 'seal-zstd';
  readonly description: string;
}

export const DEFAULT_PROFILE_ID = 'bgv-n2048-q54-t38/v1';

const PROFILES: readonly HeProfile[] = Object.freeze([
  Object.freeze({
    id: DEFAULT_PROFILE_ID,
    scheme: 'bgv',
    polyModulusDegree: 2048,
    coeffModulusBits: Object.freeze([54]),
    plainModulusBits: 38,
    encryption: 'seeded-symmetric',
    wire: 'packed',
    description:
      'recommended: BGV, N=2048, one 54-bit prime, 38-bit batching t, seeded symmetric, bit-packed',
  }),
  Object.freeze({
    id: 'bgv-n4096-q60-t40/v1',
    scheme: 'bgv',
    polyModulusDegree: 4096,
    coeffModulusBits: Object.freeze([60]),
    plainModulusBits: 40,
    encryption: 'seeded-symmetric',
    wire: 'packed',
    description:
      'more headroom: BGV, N=4096, one 60-bit prime, 40-bit batching t, seeded symmetric, bit-packed',
  }),
  Object.freeze({
    id: 'ckks-n8192-nvflare/v1',
    scheme: 'ckks',
    polyModulusDegree: 8192,
    coeffModulusBits: Object.freeze([60, 40, 40]),
    ckksScaleBits: 40,
    encryption: 'public-key',
    wire: 'seal-zstd',
    description: 'NVFlare-style comparison: CKKS, N=8192, [60,40,40], scale 2^40, public-key, SEAL zstd',
  }),
]);

export function listProfiles(): readonly HeProfile[] {
  return PROFILES;
}

/** Looks a profile up by id; an unknown id is a configuration error naming the known ones. */
export function getProfile(id: string): HeProfile {
  const profile = PROFILES.find((p) => p.id === id);
  if (!profile) {
    throw new HeflError(
      'invalid_config',
      `unknown HE profile '${id}'; known profiles: ${PROFILES.map((p) => p.id).join(', ')}`,
    );
  }
  return profile;
}

/** Number of values one ciphertext carries: N batching slots for BGV, N/2 for CKKS. */
export function slotsPerCiphertext(profile: HeProfile): number {
  return profile.scheme === 'bgv' ? profile.polyModulusDegree : profile.polyModulusDegree / 2;
}
