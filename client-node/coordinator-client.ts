import type { ChannelCredentials, ClientReadableStream } from '@grpc/grpc-js';
import { HeflError } from '../common/errors/index.js';
import type { Ack, SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { SiteServiceClient, type Task } from '../proto/gen/hefl/v1/services.js';

const UPLOAD_CHUNK = 1024 * 1024;

/**
 * The site's only connection: it dials out to the coordinator (hospitals accept no
 * inbound connections). A thin adapter over the generated client: promises in, proto
 * messages stay here and in the session.
 */
export class CoordinatorClient {
  private readonly client: InstanceType<typeof SiteServiceClient>;
  private headListener: ((headJson: Uint8Array) => void) | undefined;

  constructor(address: string, credentials: ChannelCredentials, options: Record<string, unknown> = {}) {
    this.client = new SiteServiceClient(address, credentials, {
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
      // grpc-js backs off up to 120 s between reconnection attempts by default; a site
      // must be back within seconds of a coordinator restart (it adds its own jittered backoff).
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 10_000,
      ...options,
    });
  }

  /** Opens the task stream; `onEnd` gets the error (or undefined) when it closes for any reason. */
  subscribe(hello: SignedEnvelope, onTask: (task: Task) => void, onEnd: (error?: Error) => void): () => void {
    const stream: ClientReadableStream<Task> = this.client.subscribe(hello);
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on('data', onTask);
    stream.on('error', (error) => end(error));
    stream.on('end', () => end());
    return () => {
      ended = true;
      stream.cancel();
    };
  }

  decide(envelope: SignedEnvelope): Promise<void> {
    return this.unary((cb) => this.client.decide(envelope, cb));
  }

  postKeyBundle(envelope: SignedEnvelope): Promise<void> {
    return this.unary((cb) => this.client.postKeyBundle(envelope, cb));
  }

  report(envelope: SignedEnvelope): Promise<void> {
    return this.unary((cb) => this.client.report(envelope, cb));
  }

  /** The coordinator's stored receipt for this site's accepted update of a round. */
  fetchReceipt(jobId: string, round: number, siteId: string): Promise<SignedEnvelope> {
    return new Promise((resolve, reject) => {
      this.client.fetchReceipt({ jobId, round, siteId }, (error, receipt) =>
        error ? reject(error) : resolve(receipt!),
      );
    });
  }

  postModelRelease(envelope: SignedEnvelope): Promise<void> {
    return this.unary((cb) => this.client.postModelRelease(envelope, cb));
  }

  /** Streams a signed header then the data in 1 MiB chunks; resolves with the signed receipt. */
  upload(header: SignedEnvelope, parts: readonly Uint8Array[]): Promise<SignedEnvelope> {
    return new Promise((resolve, reject) => {
      const call = this.client.upload((error, receipt) => (error ? reject(error) : resolve(receipt!)));
      call.write({ kind: { $case: 'header', value: header } });
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = () => {
        if (pendingBytes === 0) return;
        call.write({ kind: { $case: 'data', value: Buffer.concat(pending) } });
        pending = [];
        pendingBytes = 0;
      };
      for (const part of parts) {
        for (let at = 0; at < part.length; at += UPLOAD_CHUNK) {
          const slice = part.subarray(at, Math.min(part.length, at + UPLOAD_CHUNK));
          pending.push(slice);
          pendingBytes += slice.length;
          if (pendingBytes >= UPLOAD_CHUNK) flush();
        }
      }
      flush();
      call.end();
    });
  }

  /** Downloads a closed round's signed summary and the encrypted aggregate bytes. */
  downloadAggregate(
    jobId: string,
    round: number,
    siteId: string,
    /** 0: the round's aggregate; k > 0: blame probe k of the round's current attempt. */
    probe = 0,
  ): Promise<{ summary: SignedEnvelope; data: Uint8Array }> {
    return new Promise((resolve, reject) => {
      const stream = this.client.downloadAggregate({ jobId, round, siteId, probe });
      let summary: SignedEnvelope | undefined;
      const parts: Buffer[] = [];
      stream.on(
        'data',
        (chunk: {
          kind?: { $case: 'summary'; value: SignedEnvelope } | { $case: 'data'; value: Buffer };
        }) => {
          if (chunk.kind?.$case === 'summary') summary = chunk.kind.value;
          else if (chunk.kind?.$case === 'data') parts.push(chunk.kind.value);
        },
      );
      stream.on('error', reject);
      stream.on('end', () => {
        if (!summary) reject(new HeflError('integrity', 'aggregate download carried no signed summary'));
        else resolve({ summary, data: new Uint8Array(Buffer.concat(parts)) });
      });
    });
  }

  close(): void {
    this.client.close();
  }

  /**
   * Called with the coordinator's signed log head each reply carries (decide, key bundle,
   * report, model release), so the site can log it: heads after the job ended included.
   */
  onAuditHead(listener: (headJson: Uint8Array) => void): void {
    this.headListener = listener;
  }

  private unary(call: (cb: (error: Error | null, ack?: Ack) => void) => void): Promise<void> {
    return new Promise((resolve, reject) =>
      call((error, ack) => {
        if (error) return reject(error);
        try {
          if (ack && ack.auditHeadJson.length > 0) this.headListener?.(ack.auditHeadJson);
        } catch {
          // The call succeeded; a site log that cannot be written fails its next own write too.
        }
        resolve();
      }),
    );
  }
}
