import { status } from '@grpc/grpc-js';
import type { EventLog } from '../common/log/event-log.js';
import type { Clock } from '../common/time/clock.js';

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 10_000;

/** gRPC outcomes that say nothing about the request itself: the coordinator was away or restarting. */
const TRANSIENT = new Set<number>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.CANCELLED,
  status.UNKNOWN,
  status.INTERNAL,
  status.RESOURCE_EXHAUSTED,
]);

/** Whether a failed call may simply be sent again (transport failure, coordinator restarting). */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && TRANSIENT.has(code);
}

/**
 * Sends an idempotent signed message (a decision, a report, a model release) until the
 * coordinator acknowledges it: a reply lost in a coordinator crash must not lose the
 * message. Waits with jittered exponential backoff (250 ms .. 10 s) between attempts;
 * a refusal (any non-transient status) is thrown at once, as is the last error once
 * `stopped()` says the caller gave up (the node is shutting down).
 */
export async function retryUntilAcknowledged(
  send: () => Promise<void>,
  deps: {
    readonly clock: Clock;
    readonly log: EventLog;
    /** What is being sent, for the log, e.g. `{ what: 'model release', job }`. */
    readonly describe: Record<string, unknown>;
    readonly stopped?: () => boolean;
  },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      if (attempt > 1) deps.log('send.acknowledged', { ...deps.describe, attempts: attempt });
      return;
    } catch (error) {
      if (!isTransient(error) || deps.stopped?.()) throw error;
      const ceiling = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(attempt, 10));
      const wait = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      deps.log('send.retrying', {
        ...deps.describe,
        attempt,
        retryInMs: wait,
        error: (error as Error).message.slice(0, 200),
      });
      await new Promise<void>((resolve) => deps.clock.schedule(wait, resolve));
    }
  }
}
