/**
 * Where the coordinator records what happened. The real sink is the hash-chained,
 * signed, fsynced audit log; each call returns only after the entry is durable, so a
 * reply that depends on it can be sent afterwards. Details never hold values,
 * weights or keys — only ids, digests, sizes and reasons.
 */
export interface AuditSink {
  append(entry: { actor: string; action: string; cause?: number | null; details: Record<string, unknown> }): {
    seq: number;
  };
  /** The log's signed head (JSON of {seq, hash, sig}) — handed to sites so truncation is provable later. */
  headJson?(): Uint8Array;
}

/** Keeps entries in memory; for tests and for `--no-audit` style tools, never for deployments. */
export class MemoryAuditSink implements AuditSink {
  readonly entries: { seq: number; actor: string; action: string; details: Record<string, unknown> }[] = [];

  append(entry: { actor: string; action: string; details: Record<string, unknown> }): { seq: number } {
    const seq = this.entries.length + 1;
    this.entries.push({ seq, actor: entry.actor, action: entry.action, details: entry.details });
    return { seq };
  }
}
