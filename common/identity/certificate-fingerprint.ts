import { X509Certificate } from 'node:crypto';
import { sha256, toHex } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';

/**
 * SHA-256 of a certificate's DER encoding as 64 lower-case hex characters: the value the
 * manifest records per member and the coordinator compares with the TLS peer's certificate.
 */
export function fingerprintDer(der: Uint8Array): string {
  return toHex(sha256(der));
}

/** Fingerprint of a PEM certificate; `invalid_argument` if it is not one. */
export function certificateFingerprint(pem: string): string {
  try {
    return fingerprintDer(new X509Certificate(pem).raw);
  } catch (error) {
    throw new HeflError('invalid_argument', 'not a PEM X.509 certificate', { cause: error });
  }
}
