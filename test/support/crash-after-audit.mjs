/**
 * Test-only fault injection: wraps the audit sink so the process SIGKILLs itself right
 * after the `n`-th durable entry with the given action (and actor, if named). `spec` is
 * `action[@actor][#n]`, n from 1, e.g. `job.accepted@site-a` or `update.accepted#2`. This
 * is the most adversarial moment: the log has the event, nothing after it (state, reply,
 * tasks) happened. Wired into a real coordinator process only by the test-only entry script
 * (faulty-daemon.mjs, through CoordinatorFaults.wrapAudit); production code never sees it.
 *
 * @param {import('../../coordinator/storage/audit-sink.js').AuditSink} sink
 * @param {string} spec
 * @param {() => void} kill
 */
export function crashAfterAudit(sink, spec, kill) {
  const [what = '', nth] = spec.split('#');
  const [action, actor] = what.split('@');
  let remaining = Number(nth ?? 1);
  return {
    append(entry) {
      const written = sink.append(entry);
      if (entry.action === action && (actor === undefined || entry.actor === actor) && --remaining === 0)
        kill();
      return written;
    },
    headJson: sink.headJson ? () => sink.headJson() : undefined,
  };
}
