import { describe, expect, it } from 'vitest';
import { LiveTerminal } from './live-terminal.js';

function terminal(size: { columns?: number; rows?: number } = {}) {
  const writes: string[] = [];
  const live = new LiveTerminal({ ...size, write: (text: string) => writes.push(text) });
  return { live, writes };
}

describe('LiveTerminal', () => {
  it('draws below the cursor, then climbs back over the previous block to redraw it', () => {
    const { live, writes } = terminal({ columns: 80, rows: 24 });

    live.draw(['a', 'b']);
    live.draw(['a', 'b', 'c']);
    live.draw(['d']);

    expect(writes).toEqual(['\u001b[Ja\nb\n', '\u001b[2A\r\u001b[Ja\nb\nc\n', '\u001b[3A\r\u001b[Jd\n']);
  });

  it('writes nothing when the lines did not change', () => {
    const { live, writes } = terminal();

    live.draw(['a']);
    live.draw(['a']);
    live.finish();

    expect(writes).toEqual(['\u001b[Ja\n']);
  });

  it('keeps the last rows of a block taller than the screen, and leaves all of it when finished', () => {
    const { live, writes } = terminal({ rows: 3 });

    live.draw(['1', '2', '3', '4']);
    live.finish();

    expect(writes).toEqual(['\u001b[J3\n4\n', '\u001b[2A\r\u001b[J1\n2\n3\n4\n']);
  });

  it('reports the width, unbounded when the terminal does not say', () => {
    expect(terminal({ columns: 72 }).live.width).toBe(72);
    expect(terminal({ columns: 0 }).live.width).toBe(Number.POSITIVE_INFINITY);
    expect(terminal().live.width).toBe(Number.POSITIVE_INFINITY);
  });
});
