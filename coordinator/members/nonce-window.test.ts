import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { NonceWindow } from './nonce-window.js';

const T0 = 1_800_000_000_000;

function clockAt(ms: number) {
  const clock = { ms, now: () => clock.ms };
  return clock;
}

const nonce = (i: number) => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
};

const codeOf = (fn: () => void): string => {
  try {
    fn();
    return 'taken';
  } catch (error) {
    return HeflError.is(error) ? `${error.code}: ${error.publicDetail}` : String(error);
  }
};

describe('NonceWindow', () => {
  it('takes a nonce once per signer and kind; another signer or kind may use the same bytes', () => {
    const window = new NonceWindow(clockAt(T0));
    const request = { nonce: nonce(1), sentAtMs: T0 };

    const outcomes = [
      codeOf(() => window.admit('hello', 'site-a', request)),
      codeOf(() => window.admit('hello', 'site-a', request)),
      codeOf(() => window.admit('hello', 'site-b', request)),
      codeOf(() => window.admit('job submission', 'site-a', request)),
    ];

    expect(outcomes).toEqual(['taken', 'replay: nonce already used', 'taken', 'taken']);
  });

  it('forgets a nonce once its timestamp left the window (the timestamp refuses it from then on)', () => {
    const clock = clockAt(T0);
    const window = new NonceWindow(clock, { windowMs: 60_000 });
    for (let i = 0; i < 100; i++) window.admit('hello', 'site-a', { nonce: nonce(i), sentAtMs: T0 });

    clock.ms = T0 + 60_001;
    const replay = codeOf(() => window.admit('hello', 'site-a', { nonce: nonce(0), sentAtMs: T0 }));
    window.admit('hello', 'site-a', { nonce: nonce(1000), sentAtMs: clock.ms });

    expect(replay).toBe(
      'replay: hello timestamp is outside the freshness window (±60 s of the coordinator clock)',
    );
    expect(window.size).toBe(1);
  });

  it('bounds what one signer can make it remember, without affecting other signers', () => {
    const clock = clockAt(T0);
    const window = new NonceWindow(clock, { windowMs: 60_000, maxPerSigner: 50 });
    for (let i = 0; i < 50; i++) window.admit('hello', 'site-a', { nonce: nonce(i), sentAtMs: T0 });

    const over = codeOf(() => window.admit('hello', 'site-a', { nonce: nonce(50), sentAtMs: T0 }));
    const other = codeOf(() => window.admit('hello', 'site-b', { nonce: nonce(50), sentAtMs: T0 }));
    clock.ms = T0 + 60_001;
    const later = codeOf(() => window.admit('hello', 'site-a', { nonce: nonce(51), sentAtMs: clock.ms }));

    expect(over).toBe('unavailable: too many signed requests within the freshness window; try again later');
    expect(other).toBe('taken');
    expect(later).toBe('taken');
    expect(window.size).toBe(2);
  });

  it('checks the nonce length and the timestamp before remembering anything', () => {
    const window = new NonceWindow(clockAt(T0));

    const outcomes = [
      codeOf(() => window.admit('hello', 'site-a', { nonce: new Uint8Array(4), sentAtMs: T0 })),
      codeOf(() => window.admit('hello', 'site-a', { nonce: nonce(1), sentAtMs: Number.NaN })),
      codeOf(() => window.admit('hello', 'site-a', { nonce: nonce(1), sentAtMs: T0 + 0.5 })),
      codeOf(() => window.admit('hello', 'site-a', { nonce: nonce(1), sentAtMs: T0 + 301_000 })),
    ];

    expect(outcomes).toEqual([
      'invalid_argument: hello nonce must be 16 to 64 bytes, got 4',
      'invalid_argument: hello sent_at_ms must be a whole number of milliseconds since the Unix epoch',
      'invalid_argument: hello sent_at_ms must be a whole number of milliseconds since the Unix epoch',
      'replay: hello timestamp is outside the freshness window (±300 s of the coordinator clock)',
    ]);
    expect(window.size).toBe(0);
  });
});
