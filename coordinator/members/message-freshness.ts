import { HeflError } from '../../common/errors/index.js';

/** How far a signed request's timestamp may be from the coordinator's clock, either way. */
export const FRESHNESS_WINDOW_MS = 5 * 60 * 1000;
/** A nonce shorter than this could repeat by chance; a longer one only costs memory. */
export const NONCE_MIN_BYTES = 16;
export const NONCE_MAX_BYTES = 64;

/**
 * Checks the `sent_at_ms` of a signed request: a whole number of milliseconds since the
 * Unix epoch (NaN, infinities and fractions are malformed: 'invalid_argument'), within
 * `windowMs` of `nowMs` (else 'replay'). `what` names the message for the peer ('hello').
 */
export function checkSentAt(
  what: string,
  sentAtMs: number,
  nowMs: number,
  windowMs = FRESHNESS_WINDOW_MS,
): void {
  if (!Number.isSafeInteger(sentAtMs)) {
    throw new HeflError(
      'invalid_argument',
      `${what} sent_at_ms is not a whole number (${String(sentAtMs)})`,
      {
        publicDetail: `${what} sent_at_ms must be a whole number of milliseconds since the Unix epoch`,
      },
    );
  }
  const skewMs = sentAtMs - nowMs;
  if (Math.abs(skewMs) > windowMs) {
    throw new HeflError('replay', `${what} is ${Math.round(skewMs / 1000)} s off the coordinator clock`, {
      publicDetail: `${what} timestamp is outside the freshness window (±${windowMs / 1000} s of the coordinator clock)`,
    });
  }
}

/** Checks the nonce of a signed request is 16 to 64 bytes ('invalid_argument' naming its length). */
export function checkNonce(what: string, nonce: Uint8Array): void {
  if (nonce.length < NONCE_MIN_BYTES || nonce.length > NONCE_MAX_BYTES) {
    const detail = `${what} nonce must be ${NONCE_MIN_BYTES} to ${NONCE_MAX_BYTES} bytes, got ${nonce.length}`;
    throw new HeflError('invalid_argument', detail, { publicDetail: detail });
  }
}
