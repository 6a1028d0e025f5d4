import { createLogUpdate } from 'log-update';

/** The part of a terminal stream a live view needs (`process.stdout` when it is a TTY). */
export interface TerminalOut {
  write(text: string): unknown;
  /** Unknown or 0 when the size cannot be read (e.g. a pseudo-terminal nobody sized). */
  readonly columns?: number;
  readonly rows?: number;
  /** A real terminal: frames are sent as synchronized output, so none shows half drawn. */
  readonly isTTY?: boolean;
}

/**
 * Keeps a block of lines drawn at the bottom of a terminal, redrawing it in place with
 * `log-update` (which rewrites only the lines that changed, wraps lines wider than the
 * terminal and keeps the last rows of a block taller than it); the cursor rests on the line
 * below the block and stays visible. Lines should already fit the width (the watch panel cuts
 * them), so a redraw never reflows.
 */
export class LiveTerminal {
  private readonly update: ReturnType<typeof createLogUpdate>;
  private latest: readonly string[] = [];

  constructor(private readonly out: TerminalOut) {
    // A size of 0 means "unknown": no wrapping and no height limit then, as with a pipe.
    const stream = {
      write: (text: string) => out.write(text),
      get columns() {
        return out.columns || undefined;
      },
      get rows() {
        return out.rows || undefined;
      },
      isTTY: out.isTTY === true,
    };
    this.update = createLogUpdate(stream as unknown as NodeJS.WriteStream, {
      showCursor: true,
      defaultWidth: Number.POSITIVE_INFINITY,
      defaultHeight: Number.POSITIVE_INFINITY,
    });
  }

  /** Columns available to a line; Infinity when the terminal does not say. */
  get width(): number {
    return this.out.columns ? this.out.columns : Number.POSITIVE_INFINITY;
  }

  /** Replaces the block on screen with `lines`; writes nothing if they did not change. */
  draw(lines: readonly string[]): void {
    this.latest = lines;
    this.update(lines.join('\n'));
  }

  /**
   * Leaves the latest block on screen in full, even if taller than the terminal (then it is
   * written once more, unclipped, and may scroll): nothing is redrawn after this.
   */
  finish(): void {
    const rows = this.out.rows;
    if (rows && this.latest.length >= rows) {
      // The frame on screen lost its top rows: erase it and write the whole block once.
      this.update.clear();
      this.out.write(this.latest.map((line) => `${line}\n`).join(''));
    }
    this.update.done();
  }
}
