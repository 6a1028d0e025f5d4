import { HeflError } from '../../common/errors/index.js';
import type { Clock } from '../../common/time/clock.js';
import { checkNonce, checkSentAt, FRESHNESS_WINDOW_MS } from './message-freshness.js';

/** A signed request's anti-replay fields, as every such payload carries them. */
export interface FreshnessFields {
  readonly nonce: Uint8Array;
  readonly sentAtMs: number;
}

/**
 * The nonces of signed requests (site hellos, job submissions and cancellations) seen
 * within the freshness window, per signer: a request with a fresh timestamp and a nonce
 * already seen is a replay. A nonce is forgotten once its timestamp has left the window —
 * the timestamp check refuses the request from then on — so memory stays bounded: at most
 * `maxPerSigner` nonces per admitted member (a member over it is refused, 'unavailable',
 * until some expire; about 33 signed requests a second for a 5-minute window).
 *
 * In memory only: after a coordinator restart a request signed less than a window earlier
 * could be taken once more. Only its signer can send it (RequestGuard binds the signer to
 * the TLS client certificate), so this lets a member repeat its own act, nobody else's.
 */
export class NonceWindow {
  private readonly seen = new Map<string, { nonces: Map<string, number>; prunedAt: number }>();
  private readonly windowMs: number;
  private readonly maxPerSigner: number;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    options: { windowMs?: number; maxPerSigner?: number } = {},
  ) {
    this.windowMs = options.windowMs ?? FRESHNESS_WINDOW_MS;
    this.maxPerSigner = options.maxPerSigner ?? 10_000;
  }

  /**
   * Takes a signed request of kind `what` from `signer` (a member id) once: checks its
   * nonce length and timestamp (see message-freshness) and that the nonce is new, then
   * remembers it. Throws HeflError ('invalid_argument', 'replay' or 'unavailable').
   */
  admit(what: string, signer: string, request: FreshnessFields): void {
    checkNonce(what, request.nonce);
    const now = this.clock.now();
    checkSentAt(what, request.sentAtMs, now, this.windowMs);
    let entry = this.seen.get(signer);
    if (!entry) {
      entry = { nonces: new Map(), prunedAt: now };
      this.seen.set(signer, entry);
    }
    const key = `${what}:${Buffer.from(request.nonce).toString('hex')}`;
    if (entry.nonces.has(key)) {
      throw new HeflError('replay', `${what} from ${signer} reuses a nonce`, {
        publicDetail: 'nonce already used',
      });
    }
    if (entry.nonces.size >= this.maxPerSigner || now - entry.prunedAt >= 1_000) this.prune(entry, now);
    if (entry.nonces.size >= this.maxPerSigner) {
      throw new HeflError(
        'unavailable',
        `${signer} sent over ${this.maxPerSigner} signed requests in the window`,
        {
          publicDetail: 'too many signed requests within the freshness window; try again later',
        },
      );
    }
    // Until then the timestamp check alone refuses the request.
    entry.nonces.set(key, request.sentAtMs + this.windowMs);
  }

  /** Remembered nonces (all signers), for tests of the memory bound. */
  get size(): number {
    let n = 0;
    for (const entry of this.seen.values()) n += entry.nonces.size;
    return n;
  }

  private prune(entry: { nonces: Map<string, number>; prunedAt: number }, now: number): void {
    for (const [key, expiresAt] of entry.nonces) if (expiresAt < now) entry.nonces.delete(key);
    entry.prunedAt = now;
  }
}
