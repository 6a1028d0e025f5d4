import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { fingerprintDer } from '../../common/identity/index.js';

/** PEM key and certificate of one end of a mutual-TLS connection. */
export interface TlsEnd {
  readonly keyPem: string;
  readonly certPem: string;
}

export interface TlsRecordingProxyOptions {
  /** The federation CA: clients must present a certificate it issued. */
  readonly caPem: string;
  /** What the proxy presents to clients: the coordinator's own key and certificate. */
  readonly server: TlsEnd;
  readonly upstream: { host: string; port: number };
  /** The client's own TLS key and certificate, by the SHA-256 of the certificate it presented. */
  readonly clientFor: (fingerprint: string) => TlsEnd | undefined;
}

/**
 * A TLS-terminating recorder in front of the coordinator: it accepts each member's
 * mutual-TLS connection with the coordinator's own certificate (so pinning still holds),
 * re-dials the coordinator with that member's certificate (so the coordinator still binds
 * the TLS peer to the signer), and keeps the decrypted bytes of both directions. What it
 * records is exactly the plaintext HTTP/2 stream the coordinator's gRPC server reads and
 * writes; a plain TCP recorder would only see TLS records.
 */
export class TlsRecordingProxy {
  private readonly toCoordinator: Buffer[] = [];
  private readonly fromCoordinator: Buffer[] = [];
  private readonly sockets = new Set<TLSSocket>();
  private server: Server | undefined;

  constructor(private readonly options: TlsRecordingProxyOptions) {}

  async start(): Promise<string> {
    const { caPem, server } = this.options;
    this.server = createServer(
      {
        ca: caPem,
        key: server.keyPem,
        cert: server.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (client) => this.relay(client),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return `127.0.0.1:${port}`;
  }

  /** Everything members sent to the coordinator, decrypted. */
  received(): Buffer {
    return Buffer.concat(this.toCoordinator);
  }

  /** Everything the coordinator sent to members, decrypted. */
  sent(): Buffer {
    return Buffer.concat(this.fromCoordinator);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private relay(client: TLSSocket): void {
    const end = this.options.clientFor(fingerprintDer(client.getPeerCertificate().raw));
    if (!end) {
      client.destroy();
      return;
    }
    const upstream = connect({
      ...this.options.upstream,
      ca: this.options.caPem,
      key: end.keyPem,
      cert: end.certPem,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    });
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.on('data', (chunk: Buffer) => {
      this.toCoordinator.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      this.fromCoordinator.push(Buffer.from(chunk));
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
      socket.on('end', close);
    }
  }
}
