import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runsIf } from '../../test/support/runs-if.js';
import { VirtualTerminal } from '../../test/support/virtual-terminal.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
// Run through tsx directly: `npx` draws its own spinner on a terminal, which would end up in the capture.
const DRIVER = `'${process.execPath}' --import tsx test/support/fixtures/watch-driver.ts`;
const KILL_AFTER_MS = 10_000;
// util-linux `script` runs a command on a fresh pseudo-terminal (BSD `script` takes other flags).
const hasScript = runsIf(
  spawnSync('script', ['--version']).stdout?.toString().includes('util-linux') ?? false,
  'hefl job watch on a terminal: util-linux `script` is not installed',
);
// log-update sends each frame as synchronized output (DEC mode 2026) on a terminal.
const END_OF_FRAME = '\u001b[?2026l';
// biome-ignore lint/suspicious/noControlCharactersInRegex: "cursor up N rows", how a redraw in place starts.
const CURSOR_UP = /\u001b\[\d+A/;

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: KILL_AFTER_MS,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The driver with its stdout on a pseudo-terminal of the given width. */
function onTerminal(columns: number, flags = ''): Promise<Run> {
  const command = `stty cols ${columns} rows 40 && exec ${DRIVER} ${flags}`;
  return run('script', ['-qfec', command, '/dev/null']);
}

/**
 * Each frame the live view drew, as the screen shows it after the frame (plain lines): the
 * output is played on a virtual terminal, and a frame ends where its synchronized output does.
 */
function frames(output: string): string[][] {
  const screen = new VirtualTerminal();
  return output
    .split(END_OF_FRAME)
    .slice(0, -1)
    .map((chunk) => {
      screen.write(chunk);
      return screen.lines().filter((line) => line.length > 0);
    });
}

describe.runIf(hasScript)('hefl job watch on a terminal', () => {
  it('redraws one panel in place and leaves the final one on screen', { timeout: 15_000 }, async () => {
    const { code, output } = await onTerminal(120);

    expect(code, output).toBe(0);
    // Redrawn in place: the cursor climbs back over the previous panel.
    expect(output).toMatch(CURSOR_UP);
    const drawn = frames(output);
    expect(drawn.length).toBeGreaterThan(3);
    const collecting = drawn.find((f) => f.some((line) => /^ {2}✓ hospital-a +uploaded$/.test(line)));
    expect(collecting).toContainEqual(expect.stringMatching(/^ {2}· hospital-b +waiting$/));
    expect(drawn.flat()).toContain('coordinator unreachable; retrying');

    const final = drawn.at(-1)!;
    expect(final[0]).toBe('job job-7  completed');
    expect(final).toContain('decisions: 2 accepted; hospital-c declined (model kind mlp not allowed)');
    for (const label of ['round 0 (feature statistics)', 'round 1/1', 'round 2 (final evaluation)']) {
      const line = final.find((l) => l.startsWith(label));
      expect(line, label).toMatch(/ closed +✓ hospital-a {2}✓ hospital-b {2}1\.5 s, 8 KiB up, 8 KiB down$/);
    }
    expect(final).toContain('  model: accuracy 0.712 (mean of sites; pooled 0.705), AUC 0.781, loss 0.563');
    expect(final.at(-1)).toBe(
      'final model: accuracy 0.712 (mean of sites; pooled 0.705), AUC 0.781, loss 0.563',
    );
    expect(final.join('\n')).not.toMatch(/waiting|unreachable/);
  });

  it('cuts lines to the terminal width, so redrawing never wraps', { timeout: 15_000 }, async () => {
    const { code, output } = await onTerminal(40);

    expect(code, output).toBe(0);
    const lines = frames(output).flat();
    expect(lines.every((line) => line.length <= 40)).toBe(true);
    expect(lines).toContain('decisions: 2 accepted; hospital-c decli…');
  });

  it('prints plain lines on a terminal with --plain', { timeout: 15_000 }, async () => {
    const { code, output } = await onTerminal(120, '--plain');

    expect(code, output).toBe(0);
    expect(output).not.toContain('\u001b');
    expect(output.trim().split(/\r?\n/).at(-1)).toBe('job job-7 completed');
  });
});

describe('hefl job watch through a pipe', () => {
  it('prints one plain line per change, without escape codes', { timeout: 15_000 }, async () => {
    const { code, output } = await run('sh', ['-c', DRIVER]);

    expect(code, output).toBe(0);
    expect(output).not.toContain('\u001b');
    const lines = output.trim().split('\n');
    expect(lines).toContain('coordinator unreachable; retrying');
    expect(lines).toContain(
      'round 1/1 closed: 2 sites (hospital-a, hospital-b), 1.5 s, 8 KiB up, 8 KiB down',
    );
    expect(lines).toContain(
      'round 1/1 model: accuracy 0.712 (mean of sites; pooled 0.705), AUC 0.781, loss 0.563',
    );
    expect(lines.at(-1)).toBe('job job-7 completed');
  });
});
