/**
 * Where a running coordinator names its local status port (`{"url","pid"}` in its folder), for
 * `hefl federation members` and `hefl coordinator status`. Written at start, removed at stop.
 */
export const LOCAL_STATUS_FILE = 'local-status.json';
