import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';

describe('ManualClock', () => {
  it('stands still until advanced, then reports the new time', () => {
    const clock = new ManualClock(1_000);

    const before = clock.now();
    clock.advance(250);

    expect(before).toBe(1_000);
    expect(clock.now()).toBe(1_250);
  });

  it('runs due callbacks in due order (ties in scheduling order), each at its due time', () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    clock.schedule(30, () => ran.push(`c@${clock.now()}`));
    clock.schedule(10, () => ran.push(`a@${clock.now()}`));
    clock.schedule(10, () => ran.push(`b@${clock.now()}`));
    clock.schedule(31, () => ran.push('late'));

    clock.advance(30);

    expect(ran).toEqual(['a@10', 'b@10', 'c@30']);
    expect(clock.pending()).toBe(1);
    expect(clock.msUntilNext()).toBe(1);
  });

  it('never runs a cancelled callback', () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    const timer = clock.schedule(5, () => ran.push('cancelled'));
    clock.schedule(5, () => ran.push('kept'));

    timer.cancel();
    clock.advance(100);

    expect(ran).toEqual(['kept']);
    expect(clock.pending()).toBe(0);
  });

  it('runs callbacks scheduled by a callback when they fall due within the same advance', () => {
    const clock = new ManualClock(0);
    const ran: number[] = [];
    clock.schedule(10, () => {
      ran.push(clock.now());
      clock.schedule(10, () => ran.push(clock.now()));
      clock.schedule(100, () => ran.push(clock.now()));
    });

    clock.advance(50);

    expect(ran).toEqual([10, 20]);
    expect(clock.now()).toBe(50);
    expect(clock.msUntilNext()).toBe(60);
  });

  it('runs a zero or negative delay on the next advance, and refuses to go back in time', () => {
    const clock = new ManualClock(0);
    const ran: string[] = [];
    clock.schedule(-5, () => ran.push('now'));

    expect(ran).toEqual([]);
    clock.advance(0);
    expect(ran).toEqual(['now']);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
