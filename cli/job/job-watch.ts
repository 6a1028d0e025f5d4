import { HeflError } from '../../common/errors/index.js';
import {
  FINAL_STATES,
  formatAbsence,
  formatAwaitingApproval,
  formatDataReport,
  formatDecision,
  formatMetrics,
  formatRound,
  type JobStatusView,
  roundLabel,
} from './format-job-status.js';
import { LiveTerminal, type TerminalOut } from './live-terminal.js';
import { renderWatchPanel, UNREACHABLE_NOTICE } from './watch-panel.js';

/** How watching shows progress: told of every fresh view and of the coordinator's reachability. */
export interface WatchDisplay {
  /** The job as the last poll saw it. */
  show(view: JobStatusView): void;
  /** Polling started failing (`true`) or answers again (`false`, always followed by `show`). */
  unreachable(down: boolean): void;
  /** Watching is over, normally or not; whatever is on screen stays. */
  end(): void;
}

interface WatchLoopOptions {
  /** Fetches the job's current view (a coordinator call). */
  readonly poll: () => Promise<JobStatusView>;
  readonly sleep: (ms: number) => Promise<void>;
  /** Time between polls, in milliseconds. */
  readonly intervalMs: number;
  /**
   * How long the coordinator may stay unreachable (a restart) before watching gives up,
   * in milliseconds.
   */
  readonly unreachableMs: number;
  readonly now?: () => number;
}

export type JobWatchOptions = WatchLoopOptions &
  (
    | {
        /** Plain line mode: receives one finished line of progress (no trailing newline). */
        readonly write: (line: string) => void;
        readonly display?: undefined;
      }
    | { readonly display: WatchDisplay; readonly write?: undefined }
  );

/**
 * The display `hefl job watch` uses on `out`: the live panel on a terminal, plain lines when
 * `out` is a pipe or file (logs, CI, scripts) or when the user asks for them.
 */
export function watchDisplay(out: TerminalOut & { readonly isTTY?: boolean }, plain: boolean): WatchDisplay {
  if (out.isTTY && !plain) return new PanelDisplay(new LiveTerminal(out));
  return new LineDisplay((line) => out.write(`${line}\n`));
}

/**
 * Follows a job until it ends, polling the coordinator and riding out its restarts, and
 * shows progress on the display (plain lines by default). Returns the final view; the caller
 * decides the exit code.
 */
export async function watchJob(options: JobWatchOptions): Promise<JobStatusView> {
  const display = options.display === undefined ? new LineDisplay(options.write) : options.display;
  try {
    return await follow(options, display);
  } finally {
    display.end();
  }
}

async function follow(options: WatchLoopOptions, display: WatchDisplay): Promise<JobStatusView> {
  const now = options.now ?? Date.now;
  let unreachableSince: number | undefined;
  for (;;) {
    let view: JobStatusView;
    try {
      view = await options.poll();
      if (unreachableSince !== undefined) display.unreachable(false);
      unreachableSince = undefined;
    } catch (error) {
      if (!HeflError.is(error, 'unavailable')) throw error;
      if (unreachableSince === undefined) {
        unreachableSince = now();
        display.unreachable(true);
      } else if (now() - unreachableSince > options.unreachableMs) {
        throw error;
      }
      await options.sleep(options.intervalMs);
      continue;
    }
    display.show(view);
    if (FINAL_STATES.has(view.state)) return view;
    await options.sleep(options.intervalMs);
  }
}

/** Redraws the whole panel in place on every poll, with the latest view. */
class PanelDisplay implements WatchDisplay {
  private view: JobStatusView | null = null;
  private down = false;

  constructor(private readonly terminal: LiveTerminal) {}

  show(view: JobStatusView): void {
    this.view = view;
    this.redraw();
  }

  unreachable(down: boolean): void {
    this.down = down;
    // Recovery is followed by `show`, which redraws without the notice.
    if (down) this.redraw();
  }

  end(): void {
    this.terminal.finish();
  }

  private redraw(): void {
    this.terminal.draw(renderWatchPanel(this.view, { width: this.terminal.width, unreachable: this.down }));
  }
}

/**
 * One plain line per change: job state, each site's decision, each round opening, each site's
 * update arriving, each round closing (with participants, sizes and who was not counted and
 * why), and each round's metrics once the sites report them. Remembers what was already said,
 * so every change is reported exactly once.
 */
class LineDisplay implements WatchDisplay {
  private state = '';
  private readonly decisions = new Set<string>();
  private readonly awaiting = new Set<string>();
  private readonly roundStates = new Map<number, string>();
  private readonly uploads = new Set<string>();
  private readonly absences = new Set<string>();
  private readonly metrics = new Set<number>();
  /** The round-0 data report is said once, when the sites' sealed reports first arrive. */
  private dataShown = false;

  constructor(private readonly write: (line: string) => void) {}

  unreachable(down: boolean): void {
    this.write(down ? UNREACHABLE_NOTICE : 'coordinator reachable again');
  }

  end(): void {}

  show(view: JobStatusView): void {
    const total = view.trainingRounds;
    if (view.state !== this.state && !FINAL_STATES.has(view.state)) {
      this.state = view.state;
      this.write(`job ${view.jobId} ${view.state}`);
    }
    for (const site of view.awaitingApproval ?? []) {
      if (this.awaiting.has(site) || this.decisions.has(site)) continue;
      this.awaiting.add(site);
      this.write(formatAwaitingApproval([site]));
    }
    for (const d of view.decisions) {
      if (this.decisions.has(d.siteId)) continue;
      this.decisions.add(d.siteId);
      this.write(`decision: ${formatDecision(d)}`);
    }
    for (const r of view.rounds) {
      const label = roundLabel(r.round, total);
      const previous = this.roundStates.get(r.round);
      if (previous === undefined && r.state !== 'closed') this.write(`${label} open`);
      for (const site of r.participants) {
        const key = `${r.round}/${site}`;
        if (this.uploads.has(key)) continue;
        this.uploads.add(key);
        if (r.state !== 'closed') this.write(`${label}: update from ${site}`);
      }
      if (r.state !== previous) {
        this.roundStates.set(r.round, r.state);
        if (r.state === 'closed') this.write(formatRound({ ...r, metrics: null }, total));
        else if (previous !== undefined) this.write(`${label} ${r.state}`);
      }
      for (const a of r.absent) {
        const key = `${r.round}/${a.siteId}`;
        if (this.absences.has(key)) continue;
        this.absences.add(key);
        this.write(`${label} ${formatAbsence(a)}`);
      }
      if (r.metrics && !this.metrics.has(r.round)) {
        this.metrics.add(r.round);
        this.write(`${label} model: ${formatMetrics(r.metrics)}`);
      }
    }
    if (view.data && !this.dataShown) {
      this.dataShown = true;
      for (const line of formatDataReport(view.data)) this.write(line);
    }
    if (FINAL_STATES.has(view.state) && view.state !== this.state) {
      this.state = view.state;
      const reason = view.reason ? `: ${view.reason}` : '';
      this.write(`job ${view.jobId} ${view.state}${reason}`);
    }
  }
}
