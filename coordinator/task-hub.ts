import type { Task } from '../proto/gen/hefl/v1/services.js';

/**
 * The open task streams of connected sites (sites dial out; this is how the
 * coordinator reaches them). Sending to a site that is not connected is a no-op: the
 * job controller replays what a site missed when it reconnects.
 */
export class TaskHub {
  private readonly streams = new Map<string, (task: Task) => void>();

  /** Registers a site's stream; a newer connection from the same site replaces the old one. */
  attach(siteId: string, send: (task: Task) => void): () => void {
    this.streams.set(siteId, send);
    return () => {
      if (this.streams.get(siteId) === send) this.streams.delete(siteId);
    };
  }

  send(siteId: string, task: Task): boolean {
    const send = this.streams.get(siteId);
    if (!send) return false;
    send(task);
    return true;
  }

  broadcast(task: Task): void {
    for (const send of this.streams.values()) send(task);
  }

  connected(): string[] {
    return [...this.streams.keys()].sort();
  }

  isConnected(siteId: string): boolean {
    return this.streams.has(siteId);
  }
}
