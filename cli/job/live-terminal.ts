/** The part of a terminal stream a live view needs (`process.stdout` when it is a TTY). */
export interface TerminalOut {
  write(text: string): unknown;
  /** Unknown or 0 when the size cannot be read (e.g. a pseudo-terminal nobody sized). */
  readonly columns?: number;
  readonly rows?: number;
}

const ESC = '\u001b[';
const CLEAR_TO_END_OF_SCREEN = `${ESC}J`;

/**
 * Keeps a block of lines drawn at the bottom of a terminal, redrawing it in place: the cursor
 * moves back up over the previous block, clears to the end of the screen and writes the new
 * one, so the cursor always rests on the line below the block. Lines must already fit the
 * width (a wrapped line takes two rows and the next redraw would climb one row too few).
 */
export class LiveTerminal {
  /** Rows the block on screen occupies. */
  private height = 0;
  private onScreen = '';
  private latest: readonly string[] = [];

  constructor(private readonly out: TerminalOut) {}

  /** Columns available to a line; Infinity when the terminal does not say. */
  get width(): number {
    return this.out.columns ? this.out.columns : Number.POSITIVE_INFINITY;
  }

  /** Replaces the block on screen with `lines`; does nothing if they did not change. */
  draw(lines: readonly string[]): void {
    this.latest = lines;
    this.paint(this.fitHeight(lines));
  }

  /**
   * Leaves the latest block on screen in full, even if taller than the terminal: nothing is
   * redrawn after this, so it may scroll.
   */
  finish(): void {
    this.paint(this.latest);
  }

  /**
   * The cursor cannot move above the top of the screen, so a block taller than the terminal
   * could not be redrawn in place: keep its last rows (the newest rounds and any notice).
   */
  private fitHeight(lines: readonly string[]): readonly string[] {
    const rows = this.out.rows;
    if (!rows || lines.length < rows) return lines;
    return lines.slice(lines.length - Math.max(1, rows - 1));
  }

  private paint(lines: readonly string[]): void {
    const text = lines.map((line) => `${line}\n`).join('');
    if (text === this.onScreen) return;
    const up = this.height > 0 ? `${ESC}${this.height}A\r` : '';
    // One write per frame, so the terminal never shows a half-cleared block.
    this.out.write(`${up}${CLEAR_TO_END_OF_SCREEN}${text}`);
    this.onScreen = text;
    this.height = lines.length;
  }
}
