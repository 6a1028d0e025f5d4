import { createConnection, createServer, type Server } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that forwards to `target` and keeps every byte the client
 * sends — what an observer on the wire (or the coordinator) would receive from a site.
 */
export class RecordingProxy {
  private readonly sent: Buffer[] = [];
  private server: Server | undefined;
  port = 0;

  /** Where connections go; may be set after `start` (before the first connection). */
  target: { host: string; port: number } | undefined;

  async start(): Promise<string> {
    this.server = createServer((client) => {
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

  bytesSent(): Buffer {
    return Buffer.concat(this.sent);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
