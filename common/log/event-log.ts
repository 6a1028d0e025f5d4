/**
 * The operator log every part of hefl writes to: an event name (`round.closed`) and its
 * fields. Fields carry ids, sizes, digests and reasons, never record values, keys or
 * weights. The daemons print them as JSON lines (`cli/daemon/event-logger.ts`); tests
 * collect them.
 */
export type EventLog = (event: string, fields: Record<string, unknown>) => void;
