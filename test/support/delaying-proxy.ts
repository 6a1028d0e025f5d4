import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that holds every byte a client sends for `delayMs` before
 * forwarding it to `target` (order kept): a site on a slow link, so that another can be
 * first to the coordinator.
 */
export class DelayingProxy {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();

  /** Where connections go; may be set after `start` (before the first connection). */
  target: { host: string; port: number } | undefined;

  constructor(private readonly delayMs: number) {}

  /** For a federation harness's `siteAddress`: every site through this proxy, pointed at the coordinator. */
  route(proxyAddress: string): (siteIndex: number, coordinatorAddress: string) => string {
    return (_siteIndex, coordinatorAddress) => {
      const [host, port] = coordinatorAddress.split(':');
      this.target = { host: host!, port: Number(port) };
      return proxyAddress;
    };
  }

  async start(): Promise<string> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target ?? { host: '127.0.0.1', port: 1 });
      this.open.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        setTimeout(() => upstream.destroyed || upstream.write(chunk), this.delayMs);
      });
      upstream.pipe(client);
      const close = () => {
        this.open.delete(client);
        this.open.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', close);
        socket.on('close', close);
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    return `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
