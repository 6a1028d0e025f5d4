import { HeflError } from '../../common/errors/index.js';
import type { Clock } from '../../common/time/clock.js';

/** Bounds on what uploads may hold at the coordinator, whatever the senders do. */
export interface UploadLimitSettings {
  /** Upload streams one member may have open at once (default 2: an update and its retry). */
  readonly streamsPerMember: number;
  /** Declared bytes of one member's open uploads together (default 256 MiB). */
  readonly inFlightBytesPerMember: number;
  /** An upload stream that sends nothing for this long is closed (ms, default 30 s). */
  readonly idleMs: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimitSettings = Object.freeze({
  streamsPerMember: 2,
  inFlightBytesPerMember: 256 * 1024 * 1024,
  idleMs: 30_000,
});

/** A member's admitted upload; `release` frees its share (idempotent). */
export interface UploadSlot {
  release(): void;
}

/**
 * Admits uploads against per-member limits on concurrent streams and in-flight declared
 * bytes, times out idle streams (on the injected clock), and adds accepted updates to the
 * round's sums one at a time, so one update's bytes at most are in memory for adding.
 * Refusals are 'resource_exhausted'; an idle stream is 'deadline_exceeded'.
 */
export class UploadLimits {
  private readonly open = new Map<string, { streams: number; bytes: number }>();
  private adding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    readonly settings: UploadLimitSettings = DEFAULT_UPLOAD_LIMITS,
  ) {}

  admit(memberId: string, declaredBytes: number): UploadSlot {
    const { streamsPerMember, inFlightBytesPerMember } = this.settings;
    const usage = this.open.get(memberId) ?? { streams: 0, bytes: 0 };
    if (usage.streams >= streamsPerMember) {
      throw new HeflError('resource_exhausted', `${memberId} has ${usage.streams} uploads open`, {
        publicDetail: `at most ${streamsPerMember} uploads at once per member`,
      });
    }
    if (usage.bytes + declaredBytes > inFlightBytesPerMember) {
      throw new HeflError(
        'resource_exhausted',
        `${memberId} would have ${usage.bytes + declaredBytes} upload bytes in flight`,
        { publicDetail: `at most ${inFlightBytesPerMember} upload bytes in flight per member` },
      );
    }
    this.open.set(memberId, { streams: usage.streams + 1, bytes: usage.bytes + declaredBytes });
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const now = this.open.get(memberId)!;
        if (now.streams <= 1) this.open.delete(memberId);
        else this.open.set(memberId, { streams: now.streams - 1, bytes: now.bytes - declaredBytes });
      },
    };
  }

  /** Open uploads of a member (for tests and status). */
  openStreams(memberId: string): number {
    return this.open.get(memberId)?.streams ?? 0;
  }

  /**
   * Calls `onIdle` once no `touch` came for `idleMs`; `touch` on every chunk, `stop` when
   * the stream ends.
   */
  watchIdle(onIdle: () => void): { touch(): void; stop(): void } {
    let timer = this.clock.schedule(this.settings.idleMs, onIdle);
    let stopped = false;
    return {
      touch: () => {
        if (stopped) return;
        timer.cancel();
        timer = this.clock.schedule(this.settings.idleMs, onIdle);
      },
      stop: () => {
        stopped = true;
        timer.cancel();
      },
    };
  }

  /** Runs `add` after every earlier one finished (whatever their outcome). */
  serially<T>(add: () => Promise<T>): Promise<T> {
    const run = this.adding.then(add, add);
    this.adding = run.catch(() => undefined);
    return run;
  }
}
