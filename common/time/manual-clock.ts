import type { Clock } from './clock.js';

interface Scheduled {
  readonly due: number;
  /** Insertion order: callbacks due at the same instant run in the order they were scheduled. */
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A {@link Clock} that only moves when told to, for tests and experiments: deadlines and
 * timeouts become instant and deterministic. `advance(ms)` runs every callback falling due
 * by then, earliest first (ties in scheduling order), with `now()` set to each one's due
 * time while it runs; callbacks scheduled meanwhile run too if they fall due in the window.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextOrder = 0;
  private queue: Scheduled[] = [];

  /** `startMs`: the time `now()` reports first, in milliseconds since the Unix epoch. */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  schedule(ms: number, fn: () => void): { cancel(): void } {
    const entry: Scheduled = {
      due: this.current + Math.max(0, ms),
      order: this.nextOrder++,
      fn,
      cancelled: false,
    };
    this.queue.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms` (>= 0), running the callbacks that fall due on the way. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance needs a finite ms >= 0, got ${ms}`);
    const target = this.current + ms;
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.queue = this.queue.filter((e) => e !== next);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }

  /** Callbacks scheduled and neither run nor cancelled. */
  pending(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }

  /** Milliseconds until the earliest pending callback, or undefined when none is pending. */
  msUntilNext(): number | undefined {
    const next = this.nextDue(Number.POSITIVE_INFINITY);
    return next ? next.due - this.current : undefined;
  }

  private nextDue(limit: number): Scheduled | undefined {
    this.queue = this.queue.filter((e) => !e.cancelled);
    let best: Scheduled | undefined;
    for (const e of this.queue) {
      if (e.due > limit) continue;
      if (!best || e.due < best.due || (e.due === best.due && e.order < best.order)) best = e;
    }
    return best;
  }
}
