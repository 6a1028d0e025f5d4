/**
 * Faults a test injects into a real daemon process started through the test-only entry
 * script (faulty-daemon.mjs), as JSON on its command line. Production entry points read no
 * fault settings at all; this is how a test still gets a process that fails on cue.
 * Site faults (e.g. a training delay) belong here too, next to `coordinator`, served by the
 * same script.
 */
export interface DaemonFaults {
  readonly coordinator?: {
    /** Holds each round this long in 'aggregating' before anything is written. */
    readonly aggregationDelayMs?: number;
    /** SIGKILLs the process right after this durable audit entry: `action[@actor][#n]` (see crash-after-audit.mjs). */
    readonly crashAfterAudit?: string;
  };
}

/** The test-only twin of `dist/cli/main.js`: the same daemon commands with `--faults JSON` first. */
export const FAULTY_DAEMON = new URL('./faulty-daemon.mjs', import.meta.url).pathname;

/** The arguments for FAULTY_DAEMON: the faults, then the usual `hefl` arguments. */
export function faultyDaemonArgs(faults: DaemonFaults, hefl: readonly string[]): string[] {
  return ['--faults', JSON.stringify(faults), ...hefl];
}
