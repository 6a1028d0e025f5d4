import {
  formatAbsence,
  formatAwaitingApproval,
  formatDataReport,
  formatDecision,
  formatMetrics,
  formatRoundCost,
  type JobStatusView,
  type RoundView,
  roundLabel,
  type SiteProgress,
  type SiteState,
  siteProgress,
} from './format-job-status.js';

export interface WatchPanelOptions {
  /** Longest line allowed, in columns; longer lines are cut with `…`. */
  readonly width: number;
  /** The last poll failed: what is shown may be stale. */
  readonly unreachable: boolean;
}

export const UNREACHABLE_NOTICE = 'coordinator unreachable; retrying';

/**
 * The live `hefl job watch` panel for one view of a job: state, decisions, a line per round
 * (sites, time and sizes, metrics once reported), each site's progress in a round still being
 * collected, and the final model's metrics. `view` is null until the first poll answers.
 */
export function renderWatchPanel(view: JobStatusView | null, options: WatchPanelOptions): string[] {
  const lines = view ? jobLines(view) : ['waiting for the coordinator'];
  if (options.unreachable) lines.push(UNREACHABLE_NOTICE);
  return lines.map((line) => truncate(line, options.width));
}

function jobLines(view: JobStatusView): string[] {
  const reason = view.reason ? `: ${view.reason}` : '';
  const lines = [`job ${view.jobId}  ${view.state}${reason}`, decisionSummary(view.decisions)];
  const approval = formatAwaitingApproval(view.awaitingApproval ?? []);
  if (approval) lines.push(approval);
  const labels = view.rounds.map((r) => roundLabel(r.round, view.trainingRounds));
  const labelWidth = Math.max(0, ...labels.map((label) => label.length));
  view.rounds.forEach((r, i) => {
    lines.push(...roundLines(r, labels[i]!.padEnd(labelWidth)));
  });
  if (view.final) lines.push(`final model: ${formatMetrics(view.final)}`);
  if (view.data) lines.push(...formatDataReport(view.data));
  return lines;
}

function decisionSummary(decisions: JobStatusView['decisions']): string {
  if (decisions.length === 0) return 'decisions: none yet';
  const accepted = decisions.filter((d) => d.accept).length;
  const declined = decisions.filter((d) => !d.accept).map(formatDecision);
  return `decisions: ${[`${accepted} accepted`, ...declined].join('; ')}`;
}

const MARK: Record<SiteState, string> = { uploaded: '✓', waiting: '·', 'not counted': '✗' };

/** A closed round fits one line; a round still collecting lists each site's progress below it. */
function roundLines(r: RoundView, label: string): string[] {
  const sites = siteProgress(r);
  const state = r.state.padEnd('aggregating'.length);
  if (r.state !== 'closed') {
    const uploaded = sites.filter((s) => s.state === 'uploaded').length;
    const siteWidth = Math.max(0, ...sites.map((s) => s.siteId.length));
    return [
      `${label}  ${state}  ${uploaded} of ${sites.length} sites uploaded, ${formatRoundCost(r)}`,
      ...sites.map((s) => `  ${MARK[s.state]} ${s.siteId.padEnd(siteWidth)}  ${siteDetail(s)}`),
    ];
  }
  const marks = sites.map((s) => `${MARK[s.state]} ${s.siteId}`).join('  ');
  const lines = [`${label}  ${state}  ${marks}  ${formatRoundCost(r)}`];
  for (const s of sites) {
    if (s.state === 'not counted') lines.push(`  ${formatAbsence(s)}`);
  }
  if (r.metrics) lines.push(`  model: ${formatMetrics(r.metrics)}`);
  return lines;
}

function siteDetail(s: SiteProgress): string {
  return s.state === 'not counted' ? `not counted (${s.reason || 'no reason given'})` : s.state;
}

function truncate(line: string, width: number): string {
  if (line.length <= width) return line;
  return `${line.slice(0, Math.max(0, width - 1))}…`;
}
