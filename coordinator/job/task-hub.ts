import type { Task } from '../../proto/gen/hefl/v1/services.js';

interface Stream {
  readonly send: (task: Task) => void;
  readonly close: () => void;
}

/**
 * The open task streams of connected sites (sites dial out; this is how the
 * coordinator reaches them). Sending to a site that is not connected is a no-op: the
 * job controller replays what a site missed when it reconnects.
 */
export class TaskHub {
  private readonly streams = new Map<string, Stream>();

  /** `listener` hears of each site whose stream opens or ends (for the operator's views). */
  constructor(
    private readonly listener?: { connected(siteId: string): void; disconnected(siteId: string): void },
  ) {}

  /**
   * Registers a site's stream; a newer connection from the same site replaces the old one.
   * `close` ends the stream from this side (see closeWhere). Returns the detach function.
   */
  attach(siteId: string, send: (task: Task) => void, close: () => void = () => {}): () => void {
    const stream: Stream = { send, close };
    this.streams.set(siteId, stream);
    this.listener?.connected(siteId);
    return () => {
      if (this.streams.get(siteId) !== stream) return;
      this.streams.delete(siteId);
      this.listener?.disconnected(siteId);
    };
  }

  send(siteId: string, task: Task): boolean {
    const stream = this.streams.get(siteId);
    if (!stream) return false;
    stream.send(task);
    return true;
  }

  broadcast(task: Task): void {
    for (const stream of this.streams.values()) stream.send(task);
  }

  /**
   * Detaches and closes the streams of the sites `shouldClose` picks (those the manifest no
   * longer admits), so nothing more is sent to them; returns their ids.
   */
  closeWhere(shouldClose: (siteId: string) => boolean): string[] {
    const closed: string[] = [];
    for (const [siteId, stream] of [...this.streams]) {
      if (!shouldClose(siteId)) continue;
      this.streams.delete(siteId);
      stream.close();
      this.listener?.disconnected(siteId);
      closed.push(siteId);
    }
    return closed.sort();
  }

  connected(): string[] {
    return [...this.streams.keys()].sort();
  }

  isConnected(siteId: string): boolean {
    return this.streams.has(siteId);
  }
}
