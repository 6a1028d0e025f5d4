import { randomBytes } from 'node:crypto';
import { HeflError } from '../errors/index.js';
import { importTlsPrivateKey } from './tls-key.js';
import {
  type CryptoKey,
  TLS_KEY_ALGORITHM,
  TLS_SIGNING_ALGORITHM,
  webcrypto,
  x509,
} from './x509-provider.js';

const DAY_MS = 86_400_000;
/** Tolerated clock skew between the CA and the machines that check its certificates. */
const BACKDATE_MS = 5 * 60_000;

/** A leaf's public key: a PKCS#10 request (its signature is checked) or an SPKI PEM public key. */
export type LeafKeySource = { readonly csrPem: string } | { readonly publicKeyPem: string };

export interface ServerCertificateOptions {
  /** Extra DNS names or IP addresses; `localhost` and `127.0.0.1` are always included. */
  readonly hostnames?: readonly string[];
  readonly validityDays?: number;
  readonly now?: Date;
}

export interface ClientCertificateOptions {
  readonly validityDays?: number;
  readonly now?: Date;
}

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const HOSTNAME =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and without a leading zero byte
  return bytes.toString('hex');
}

function subjectAltNames(hostnames: readonly string[]): x509.SubjectAlternativeNameExtension {
  const names = [...new Set(['localhost', '127.0.0.1', ...hostnames])].map((name) => {
    if (IPV4.test(name) || name.includes(':')) return { type: 'ip' as const, value: name };
    if (HOSTNAME.test(name)) return { type: 'dns' as const, value: name };
    throw new HeflError('invalid_argument', `"${name}" is neither a host name nor an IP address`);
  });
  return new x509.SubjectAlternativeNameExtension(names, false);
}

/**
 * The federation's TLS certificate authority (ECDSA P-256, self-signed). It lives with the
 * coordinator operator and only ever signs requests: every site, researcher and auditor
 * generates its own TLS key and sends a CSR, so no private key but the CA's own is here.
 * Issuing a certificate never changes anyone else's.
 */
export class CertificateAuthority {
  readonly certificatePem: string;
  readonly #certificate: x509.X509Certificate;
  readonly #privateKey: CryptoKey;

  private constructor(certificate: x509.X509Certificate, privateKey: CryptoKey) {
    this.#certificate = certificate;
    this.#privateKey = privateKey;
    this.certificatePem = certificate.toString('pem');
  }

  /** A fresh CA named `hefl CA <federationId>`; export its key with `exportPrivateKeyPem` to keep it. */
  static async create(
    federationId: string,
    options: { validityDays?: number; now?: Date } = {},
  ): Promise<CertificateAuthority> {
    const now = options.now ?? new Date();
    const keys = await webcrypto.subtle.generateKey(TLS_KEY_ALGORITHM, true, ['sign', 'verify']);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: [{ CN: [`hefl CA ${federationId}`] }, { O: ['hefl federation'] }],
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS),
      keys,
      signingAlgorithm: TLS_SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(certificate, keys.privateKey);
  }

  /** Loads a CA from its certificate and PKCS#8 key; `invalid_config` if they do not belong together. */
  static async load(certificatePem: string, privateKeyPem: string): Promise<CertificateAuthority> {
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(certificatePem);
    } catch (error) {
      throw new HeflError('invalid_config', 'CA certificate is not a PEM X.509 certificate', {
        cause: error,
      });
    }
    const privateKey = await importTlsPrivateKey(privateKeyPem);
    const probe = new Uint8Array(32);
    const signature = await webcrypto.subtle.sign(TLS_SIGNING_ALGORITHM, privateKey, probe);
    const publicKey = await certificate.publicKey.export(TLS_KEY_ALGORITHM, ['verify']);
    if (!(await webcrypto.subtle.verify(TLS_SIGNING_ALGORITHM, publicKey, signature, probe))) {
      throw new HeflError('invalid_config', 'CA private key does not match the CA certificate');
    }
    return new CertificateAuthority(certificate, privateKey);
  }

  /** The CA key as PKCS#8 PEM, for a 0600 file. Only available for a CA made by `create`. */
  async exportPrivateKeyPem(): Promise<string> {
    if (!this.#privateKey.extractable) {
      throw new HeflError('failed_precondition', 'this CA was loaded with a non-extractable key');
    }
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', this.#privateKey);
    return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  }

  /** Coordinator certificate: serverAuth, SAN DNS localhost + IP 127.0.0.1 + `hostnames`. */
  async issueServerCertificate(
    source: LeafKeySource,
    options: ServerCertificateOptions = {},
  ): Promise<string> {
    const hostnames = options.hostnames ?? [];
    return this.#issue(source, 'hefl coordinator', x509.ExtendedKeyUsage.serverAuth, options, [
      subjectAltNames(hostnames),
    ]);
  }

  /** Member certificate: subject CN = `memberId`, clientAuth only. The CSR's subject is ignored. */
  async issueClientCertificate(
    source: LeafKeySource,
    memberId: string,
    options: ClientCertificateOptions = {},
  ): Promise<string> {
    return this.#issue(source, memberId, x509.ExtendedKeyUsage.clientAuth, options, []);
  }

  async #publicKeyOf(source: LeafKeySource): Promise<x509.PublicKey> {
    if ('csrPem' in source) {
      let csr: x509.Pkcs10CertificateRequest;
      try {
        csr = new x509.Pkcs10CertificateRequest(source.csrPem);
      } catch (error) {
        throw new HeflError('invalid_argument', 'not a PEM PKCS#10 certificate request', { cause: error });
      }
      if (!(await csr.verify())) {
        throw new HeflError('integrity', 'certificate request signature does not verify');
      }
      return csr.publicKey;
    }
    try {
      return new x509.PublicKey(source.publicKeyPem);
    } catch (error) {
      throw new HeflError('invalid_argument', 'not a PEM SubjectPublicKeyInfo', { cause: error });
    }
  }

  async #issue(
    source: LeafKeySource,
    commonName: string,
    usage: x509.ExtendedKeyUsage,
    options: { validityDays?: number; now?: Date },
    extra: x509.Extension[],
  ): Promise<string> {
    const publicKey = await this.#publicKeyOf(source);
    const algorithm = publicKey.algorithm as webcrypto.EcKeyAlgorithm;
    if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
      throw new HeflError('invalid_argument', 'TLS keys must be ECDSA P-256');
    }
    const now = options.now ?? new Date();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: [{ CN: [commonName] }],
      issuer: this.#certificate.subjectName,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + (options.validityDays ?? 825) * DAY_MS),
      publicKey,
      signingKey: this.#privateKey,
      signingAlgorithm: TLS_SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage], false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.#certificate.publicKey),
        ...extra,
      ],
    });
    return certificate.toString('pem');
  }
}
