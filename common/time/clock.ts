/** Time as hefl's components see it, injected so deadlines and freshness are testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds unless cancelled; never keeps the process alive. */
  schedule(ms: number, fn: () => void): { cancel(): void };
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  schedule(ms: number, fn: () => void) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
});
