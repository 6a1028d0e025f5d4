import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HeflError } from '../../common/errors/index.js';
import { peakRss } from './peak-rss.js';

export interface LogLine {
  readonly event?: string;
  readonly [key: string]: unknown;
}

/**
 * A `hefl` daemon started as a child process (the same CLI entry point and Node flags
 * as this process). Its JSON-lines stdout is parsed; stderr is kept for error reports.
 */
export class HeflProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(line: LogLine) => void>();
  private stderrTail = '';
  private exited: Promise<number | null>;

  /**
   * `entry` defaults to this process's own CLI script with its Node flags (so a `tsx`
   * run spawns `tsx` children); tests pass the built `dist/cli/main.js`, or Node arguments
   * starting a test-only script (test/support/faulty-site.mjs).
   */
  constructor(
    name: string,
    args: readonly string[],
    entry?: string | readonly string[],
    env?: Record<string, string>,
  ) {
    this.name = name;
    const command =
      entry === undefined
        ? [...process.execArgv, process.argv[1]!]
        : typeof entry === 'string'
          ? [entry]
          : [...entry];
    this.child = spawn(process.execPath, [...command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(line);
      if (process.env.HEFL_TRACE_CHILDREN === '1') process.stderr.write(`[${this.name}] ${text}\n`);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Peak resident memory so far in bytes (null if unknown or exited): read before `stop()`. */
  peakRss(): number | null {
    return this.child.exitCode === null && this.child.signalCode === null ? peakRss(this.child.pid) : null;
  }

  onLine(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first log line matching `match`; rejects if the process exits first or time runs out. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          finish(
            new HeflError(
              'deadline_exceeded',
              `${this.name}: no ${what} within ${timeoutMs / 1000} s${this.describeStderr()}`,
            ),
          ),
        timeoutMs,
      );
      const off = this.onLine((line) => {
        if (match(line)) finish(undefined, line);
      });
      void this.exited.then((code) =>
        finish(
          new HeflError(
            'unavailable',
            `${this.name} exited (code ${code}) before ${what}${this.describeStderr()}`,
          ),
        ),
      );
      let done = false;
      function finish(error?: Error, line?: LogLine) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        off();
        if (error) reject(error);
        else resolve(line!);
      }
    });
  }

  /** SIGKILL, for fault-injection (a site that disappears mid-round). */
  kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private describeStderr(): string {
    const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return tail ? `: ${tail}` : '';
  }
}
