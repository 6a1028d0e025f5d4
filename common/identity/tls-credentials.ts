import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { type ChannelCredentials, credentials, ServerCredentials } from '@grpc/grpc-js';
import { fingerprintDer } from './certificate-fingerprint.js';

/** PEM material for one end of a mutual-TLS gRPC connection. The key never leaves its owner. */
export interface TlsMaterial {
  /** Federation CA certificate: the only issuer trusted for the peer. */
  readonly caPem: string;
  /** This party's certificate, issued by the federation CA. */
  readonly certPem: string;
  /** This party's PKCS#8 private key. */
  readonly keyPem: string;
}

export interface ChannelTlsMaterial extends TlsMaterial {
  /**
   * SHA-256 hex of the coordinator's certificate (from the manifest). When set, a server
   * presenting any other certificate is refused even if the CA signed it.
   */
  readonly serverFingerprint?: string;
}

/**
 * Coordinator side: TLS only, client certificates required and verified against the
 * federation CA, so a plaintext client or one with a certificate from another CA fails
 * the handshake before any handler runs. Whether a CA-valid certificate still belongs to an
 * admitted, non-revoked member is the handler's check (`requireAdmittedPeer`).
 */
export function serverCredentials(material: TlsMaterial): ServerCredentials {
  return ServerCredentials.createSsl(
    Buffer.from(material.caPem),
    [{ private_key: Buffer.from(material.keyPem), cert_chain: Buffer.from(material.certPem) }],
    true,
  );
}

/**
 * Member side: verifies the server against the federation CA and host name (the coordinator
 * certificate carries `localhost` and IP `127.0.0.1`), presents the member's certificate,
 * and optionally pins the coordinator's certificate fingerprint.
 */
export function channelCredentials(material: ChannelTlsMaterial): ChannelCredentials {
  const pinned = material.serverFingerprint?.toLowerCase();
  return credentials.createSsl(
    Buffer.from(material.caPem),
    Buffer.from(material.keyPem),
    Buffer.from(material.certPem),
    {
      checkServerIdentity: (hostname: string, cert: PeerCertificate) => {
        const hostError = checkServerIdentity(hostname, cert);
        if (hostError !== undefined) return hostError;
        if (pinned !== undefined && fingerprintDer(cert.raw) !== pinned) {
          return new Error(
            'coordinator certificate does not match the fingerprint in the federation manifest',
          );
        }
        return undefined;
      },
    },
  );
}

/** The part of a grpc-js server call this module reads (`ServerUnaryCall`, streams, ...). */
export interface CallWithAuthContext {
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * SHA-256 hex of the client certificate's DER on this call, or undefined when the call has
 * no TLS client certificate (which `serverCredentials` already makes impossible).
 */
export function peerCertificateFingerprint(call: CallWithAuthContext): string | undefined {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  return raw === undefined || raw.byteLength === 0 ? undefined : fingerprintDer(raw);
}
