import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that forwards to `target` and keeps every byte the client
 * sends — what an observer on the wire (or the coordinator) would receive from a site.
 */
export class RecordingProxy {
  private readonly sent: Buffer[] = [];
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  private blocked = false;
  port = 0;

  /** Where connections go; may be set after `start` (before the first connection). */
  target: { host: string; port: number } | undefined;

  async start(): Promise<string> {
    this.server = createServer((client) => {
      if (this.blocked) {
        client.destroy();
        return;
      }
      this.open.add(client);
      client.on('close', () => this.open.delete(client));
      const upstream = createConnection(this.target ?? { host: '127.0.0.1', port: 1 });
      client.on('data', (chunk: Buffer) => this.sent.push(Buffer.from(chunk)));
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return `127.0.0.1:${this.port}`;
  }

  /** A network outage: drops every open connection and refuses new ones until `restore`. */
  cut(): void {
    this.blocked = true;
    for (const socket of this.open) socket.destroy();
  }

  restore(): void {
    this.blocked = false;
  }

  /**
   * For a federation harness's `siteAddress` option: routes site `index` through this
   * proxy (pointing the proxy at the coordinator), every other site straight to it.
   */
  routeSite(index: number, proxyAddress: string): (siteIndex: number, coordinatorAddress: string) => string {
    return (siteIndex, coordinatorAddress) => {
      if (siteIndex !== index) return coordinatorAddress;
      const [host, port] = coordinatorAddress.split(':');
      this.target = { host: host!, port: Number(port) };
      return proxyAddress;
    };
  }

  bytesSent(): Buffer {
    return Buffer.concat(this.sent);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
