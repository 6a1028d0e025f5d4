import type { ErrorCode } from './error-code.js';

/**
 * The one error type hefl throws for bugs, violated invariants and refused input.
 * `message` is for the local operator and may name files, lines and columns, but never
 * record values, keys or plaintext weights. Peers only ever see the code's public message
 * (plus `publicDetail` when the thrower marked a detail as safe to share).
 */
export class HeflError extends Error {
  override readonly name = 'HeflError';
  readonly code: ErrorCode;
  /** A detail that is safe to send to a peer (no values, no keys), e.g. "round 3 is closed". */
  readonly publicDetail: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; publicDetail?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.publicDetail = options.publicDetail;
  }

  /**
   * Structural check, so an error made by another copy of this module (a worker thread
   * running the built code, say) is still recognised.
   */
  static is(value: unknown, code?: ErrorCode): value is HeflError {
    if (
      !(value instanceof Error) ||
      value.name !== 'HeflError' ||
      typeof (value as HeflError).code !== 'string'
    ) {
      return false;
    }
    return code === undefined || (value as HeflError).code === code;
  }
}
