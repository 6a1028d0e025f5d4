import { HeflError } from '../../common/errors/index.js';
import {
  FINAL_STATES,
  formatAbsence,
  formatDecision,
  formatMetrics,
  formatRound,
  type JobStatusView,
  roundLabel,
} from './format-job-status.js';

export interface JobWatchOptions {
  /** Fetches the job's current view (a coordinator call). */
  readonly poll: () => Promise<JobStatusView>;
  /** Receives one finished line of progress (no trailing newline). */
  readonly write: (line: string) => void;
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

/**
 * Follows a job until it ends, writing one plain line per change: job state, each site's
 * decision, each round opening, each site's update arriving, each round closing (with
 * participants, sizes and who was not counted and why), and each round's metrics once
 * the sites report them. Returns the final view; the caller decides the exit code.
 */
export async function watchJob(options: JobWatchOptions): Promise<JobStatusView> {
  const now = options.now ?? Date.now;
  const seen = new JobProgress(options.write);
  let unreachableSince: number | undefined;
  for (;;) {
    let view: JobStatusView;
    try {
      view = await options.poll();
      if (unreachableSince !== undefined) options.write('coordinator reachable again');
      unreachableSince = undefined;
    } catch (error) {
      if (!HeflError.is(error, 'unavailable')) throw error;
      if (unreachableSince === undefined) {
        unreachableSince = now();
        options.write('coordinator unreachable; retrying');
      } else if (now() - unreachableSince > options.unreachableMs) {
        throw error;
      }
      await options.sleep(options.intervalMs);
      continue;
    }
    seen.update(view);
    if (FINAL_STATES.has(view.state)) return view;
    await options.sleep(options.intervalMs);
  }
}

/** Remembers what was already said, so every change is reported exactly once. */
class JobProgress {
  private state = '';
  private readonly decisions = new Set<string>();
  private readonly roundStates = new Map<number, string>();
  private readonly uploads = new Set<string>();
  private readonly absences = new Set<string>();
  private readonly metrics = new Set<number>();

  constructor(private readonly write: (line: string) => void) {}

  update(view: JobStatusView): void {
    const total = view.trainingRounds;
    if (view.state !== this.state && !FINAL_STATES.has(view.state)) {
      this.state = view.state;
      this.write(`job ${view.jobId} ${view.state}`);
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
    if (FINAL_STATES.has(view.state) && view.state !== this.state) {
      this.state = view.state;
      const reason = view.reason ? `: ${view.reason}` : '';
      this.write(`job ${view.jobId} ${view.state}${reason}`);
    }
  }
}
