// @peculiar/x509 resolves its ASN.1 handlers through tsyringe, which needs the Reflect
// metadata API before the library loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/*
 * @peculiar/x509 does every signature and key operation through a WebCrypto provider; we
 * give it Node's, so no ASN.1 or ECDSA code of our own is involved. Importing this module
 * is what configures the library; every identity module that uses x509 imports it first.
 */
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

/** A WebCrypto key as Node types it (the project compiles without the DOM library). */
export type CryptoKey = webcrypto.CryptoKey;

/** ECDSA P-256 with SHA-256: the only TLS key type hefl issues or accepts. */
export const TLS_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const TLS_SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export { webcrypto, x509 };
