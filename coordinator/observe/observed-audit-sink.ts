import type { AuditSink } from '../storage/audit-sink.js';
import type { CoordinatorObserver } from './coordinator-observer.js';

/**
 * The audit sink with the observer told of each entry after it is durable (and only then:
 * a failing append tells nobody). `roundSeconds` gives a closed round's duration.
 */
export function observedAuditSink(
  inner: AuditSink,
  observer: Pick<CoordinatorObserver, 'audited'>,
  roundSeconds: (jobId: string, round: number) => number | undefined,
): AuditSink {
  const sink: AuditSink = {
    append(entry) {
      const written = inner.append(entry);
      const { jobId, round } = entry.details;
      const seconds =
        entry.action === 'round.closed' && typeof jobId === 'string' && typeof round === 'number'
          ? roundSeconds(jobId, round)
          : undefined;
      observer.audited(entry, seconds);
      return written;
    },
  };
  if (inner.headJson) sink.headJson = () => inner.headJson!();
  return sink;
}
