import { describe, expect, it } from 'vitest';
import { VirtualTerminal } from '../../test/support/virtual-terminal.js';
import { LiveTerminal } from './live-terminal.js';

function terminal(size: { columns?: number; rows?: number } = {}) {
  const writes: string[] = [];
  const screen = new VirtualTerminal();
  const live = new LiveTerminal({
    ...size,
    write: (text: string) => {
      writes.push(text);
      screen.write(text);
    },
  });
  return { live, writes, screen };
}

describe('LiveTerminal', () => {
  it('draws below the cursor, then climbs back over the previous block to redraw it', () => {
    const { live, screen } = terminal({ columns: 80, rows: 24 });

    live.draw(['a', 'b']);
    expect(screen.lines()).toEqual(['a', 'b']);
    live.draw(['a', 'b', 'c']);
    expect(screen.lines()).toEqual(['a', 'b', 'c']);
    live.draw(['d']);

    expect(screen.lines()).toEqual(['d']);
    expect(
      screen.codes.some((code) => /^.\[\d*A$/.test(code)),
      'a cursor-up code',
    ).toBe(true);
  });

  it('writes nothing when the lines did not change', () => {
    const { live, writes, screen } = terminal();

    live.draw(['a']);
    live.draw(['a']);
    live.finish();

    expect(writes).toEqual(['a\n']);
    expect(screen.lines()).toEqual(['a']);
  });

  it('keeps the last rows of a block taller than the screen, and leaves all of it when finished', () => {
    const { live, screen } = terminal({ rows: 3 });

    live.draw(['1', '2', '3', '4']);
    expect(screen.lines()).toEqual(['3', '4']);
    live.finish();

    expect(screen.lines()).toEqual(['1', '2', '3', '4']);
  });

  it('reports the width, unbounded when the terminal does not say', () => {
    expect(terminal({ columns: 72 }).live.width).toBe(72);
    expect(terminal({ columns: 0 }).live.width).toBe(Number.POSITIVE_INFINITY);
    expect(terminal().live.width).toBe(Number.POSITIVE_INFINITY);
  });
});
