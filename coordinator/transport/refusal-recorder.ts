import type { Clock } from '../../common/time/clock.js';
import type { AuditSink } from '../storage/audit-sink.js';
import { boundedText } from './bounded-text.js';

/** Distinct reasons counted per window; further ones are counted under "other". */
const MAX_REASONS = 8;

interface Window {
  count: number;
  readonly reasons: Map<string, number>;
  readonly timer: { cancel(): void };
}

/**
 * Writes refused requests to the audit log without letting one member flood it: the first
 * refusal of a member is written as it happens and opens a window (default one minute);
 * further refusals of that member in the window are only counted, and one
 * `request.refused.repeated` entry with the count and the reasons is written when the
 * window ends — or at `flush` (the coordinator stopping). Nothing is dropped: every
 * refusal is in an entry or in a count.
 */
export class RefusalRecorder {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly audit: AuditSink,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {}

  /** `who`: the member (or 'unknown' for keys outside the federation) the window is kept for. */
  record(who: string, entry: { actor: string; action: string; details: Record<string, unknown> }): void {
    const reason = boundedText(String(entry.details.reason ?? ''));
    const open = this.windows.get(who);
    if (open) {
      open.count++;
      const key = open.reasons.has(reason) || open.reasons.size < MAX_REASONS ? reason : 'other';
      open.reasons.set(key, (open.reasons.get(key) ?? 0) + 1);
      return;
    }
    this.audit.append({ ...entry, details: { ...entry.details, reason } });
    this.windows.set(who, {
      count: 0,
      reasons: new Map(),
      timer: this.clock.schedule(this.windowMs, () => this.close(who)),
    });
  }

  /** Writes every open window's count now (the coordinator is stopping). */
  flush(): void {
    for (const who of [...this.windows.keys()]) this.close(who);
  }

  /** The counted entry is by `who`: the member, or 'unknown' for the keys outside the federation. */
  private close(who: string): void {
    const window = this.windows.get(who);
    if (!window) return;
    window.timer.cancel();
    this.windows.delete(who);
    if (window.count === 0) return;
    this.audit.append({
      actor: who,
      action: 'request.refused.repeated',
      details: {
        refusals: window.count,
        windowSeconds: this.windowMs / 1000,
        reasons: [...window.reasons].map(([reason, count]) => ({ reason, count })),
      },
    });
  }
}
