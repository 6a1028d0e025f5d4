import { pino } from 'pino';
import type { EventLog } from '../../common/log/event-log.js';

export type { EventLog };

/**
 * Structured JSON-lines logs for the daemons (one object per line on stdout, pino).
 * Callers pass ids, sizes, digests and reasons — never record values, keys or weights.
 */
export function createEventLogger(
  component: string,
  level: string,
): { log: EventLog; warn: EventLog; error: EventLog } {
  const logger = pino(
    { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 1, sync: true }),
  );
  return {
    log: (event, fields) => logger.info({ event, ...fields }),
    warn: (event, fields) => logger.warn({ event, ...fields }),
    error: (event, fields) => logger.error({ event, ...fields }),
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
