import { HeflError } from '../errors/index.js';
import {
  type CryptoKey,
  TLS_KEY_ALGORITHM,
  TLS_SIGNING_ALGORITHM,
  webcrypto,
  x509,
} from './x509-provider.js';

/** A TLS private key (PKCS#8 PEM, stays where it was generated) and its PKCS#10 request. */
export interface TlsKeyAndCsr {
  readonly privateKeyPem: string;
  readonly csrPem: string;
}

/**
 * Generates an ECDSA P-256 TLS key on this machine and a CSR for it. The CSR's signature
 * proves possession of the key; the CA sets the certificate's subject itself, so
 * `commonName` is only informative.
 */
export async function generateTlsKeyAndCsr(commonName: string): Promise<TlsKeyAndCsr> {
  const keys = await webcrypto.subtle.generateKey(TLS_KEY_ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: TLS_SIGNING_ALGORITHM,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), csrPem: csr.toString('pem') };
}

/** Imports a PKCS#8 PEM ECDSA P-256 private key for signing; `invalid_config` if it is not one. */
export async function importTlsPrivateKey(pem: string, extractable = false): Promise<CryptoKey> {
  try {
    const der = x509.PemConverter.decodeFirst(pem);
    return await webcrypto.subtle.importKey('pkcs8', der, TLS_KEY_ALGORITHM, extractable, ['sign']);
  } catch (error) {
    throw new HeflError('invalid_config', 'not a PKCS#8 PEM ECDSA P-256 private key', { cause: error });
  }
}
