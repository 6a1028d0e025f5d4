/** Longest client-supplied text the coordinator writes into its audit log or stdout log. */
export const MAX_LOGGED_TEXT = 160;

/**
 * `text` cut to `max` characters, saying how much was cut. Anything a peer chose (ids,
 * reasons, error messages quoting them) passes here before it is logged, so a 4 MiB job id
 * costs the logs a few hundred bytes, not megabytes.
 */
export function boundedText(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length - max} more chars)`;
}
