import type { AuditSink } from './audit-sink.js';

/**
 * Test-only fault injection: wraps the audit sink so the process SIGKILLs itself right
 * after the `n`-th durable entry with the given action (`spec` is `action` or `action#n`,
 * n from 1). This is the most adversarial moment: the log has the event, nothing after it
 * (state, reply, tasks) happened. Only the composition root wires it, from an environment
 * variable a deployment never sets.
 */
export function crashAfterAudit(sink: AuditSink, spec: string, kill: () => void): AuditSink {
  const [action, nth] = spec.split('#');
  let remaining = Number(nth ?? 1);
  return {
    append(entry) {
      const written = sink.append(entry);
      if (entry.action === action && --remaining === 0) kill();
      return written;
    },
    headJson: sink.headJson ? () => sink.headJson!() : undefined,
  };
}
