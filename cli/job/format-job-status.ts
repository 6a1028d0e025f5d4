import type { DataReport, VocabularyFound } from '../../common/protocol/sealed-data-report.js';
import type { GlmReport } from '../../common/protocol/sealed-glm-report.js';
import type { StatsReport } from '../../common/protocol/sealed-stats-report.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import { readDataReport, readGlmReport, readJobOutcome } from '../researcher/job-outcome.js';
import { readStatsReport } from '../researcher/read-stats-report.js';
import { formatGlmReport } from './format-glm-report.js';
import { formatStatsReport } from './format-stats-report.js';

/** Metrics of the global model after one training round, opened with the researcher's key. */
export interface RoundMetricsView {
  /** Unweighted mean of the sites' held-out accuracies. */
  readonly accuracy: number;
  /** Correct / examples over all sites' held-out records together. */
  readonly pooledAccuracy: number;
  readonly auc: number;
  readonly loss: number;
  readonly examples: number;
}

export type RoundPhase = 'statistics' | 'training' | 'evaluation';

export interface RoundView {
  /** Coordinator round: 0 feature statistics, 1..R training, R+1 final evaluation. */
  readonly round: number;
  readonly phase: RoundPhase;
  /** collecting | aggregating | closed */
  readonly state: string;
  /** Sites asked for an update this round. */
  readonly expected: string[];
  /** Sites whose update was accepted into the sum. */
  readonly participants: string[];
  readonly absent: { siteId: string; reason: string }[];
  readonly seconds: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Training rounds only, once the sites have evaluated the round's model. */
  readonly metrics: RoundMetricsView | null;
  readonly modelHash: string | null;
}

/** What `hefl job status --json` prints: one job as the researcher sees it. */
export interface JobStatusView {
  readonly jobId: string;
  readonly jobHash: string;
  readonly state: string;
  readonly reason: string;
  readonly currentRound: number;
  readonly trainingRounds: number;
  readonly decisions: { siteId: string; accept: boolean; reason: string }[];
  /** Sites holding the offer until their operator approves it (`approval: explicit`). */
  readonly awaitingApproval?: string[];
  readonly rounds: RoundView[];
  /** Metrics of the last training round's model, once reported. */
  readonly final: RoundMetricsView | null;
  /** Round 0 totals: declared features, codes found in hashed columns (null when the job sends none). */
  readonly data?: DataReport | null;
  /** GLM jobs: the latest iteration report (the regression table once converged). */
  readonly glm?: GlmReport | null;
  /** Stats jobs: the tables (counts, means, histograms, cross-tabulations). */
  readonly stats?: StatsReport | null;
}

export const FINAL_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/**
 * Builds the researcher's view of a job: verifies the sites' signed reports and opens the
 * metrics sealed to the researcher (`readJobOutcome`; throws `integrity` if sites disagree).
 */
export function jobStatusView(
  status: JobStatus,
  sealingSecretKey: Uint8Array,
  isSite: (signingKey: Uint8Array) => boolean,
): JobStatusView {
  const outcome = new Map(readJobOutcome(status, sealingSecretKey, isSite).map((r) => [r.round, r]));
  const rounds = status.roundStatus.map((r): RoundView => {
    const opened = outcome.get(r.round);
    const m = opened?.metrics;
    return {
      round: r.round,
      phase: phaseOf(r.round, status.rounds),
      state: r.state,
      expected: [...r.expected],
      participants: [...r.participants],
      absent: r.absent.map((a) => ({ siteId: a.siteId, reason: a.reason })),
      seconds: r.seconds,
      bytesUp: r.bytesUp,
      bytesDown: r.bytesDown,
      metrics: m
        ? {
            accuracy: m.meanSiteAccuracy,
            pooledAccuracy: m.accuracy,
            auc: m.auc,
            loss: m.loss,
            examples: m.examples,
          }
        : null,
      modelHash: opened?.modelHash ?? null,
    };
  });
  return {
    jobId: status.jobId,
    jobHash: status.jobHash,
    state: status.state,
    reason: status.reason,
    currentRound: status.currentRound,
    trainingRounds: status.rounds,
    decisions: status.decisions.map((d) => ({ siteId: d.siteId, accept: d.accept, reason: d.reason })),
    awaitingApproval: [...(status.awaitingApproval ?? [])],
    rounds,
    final: rounds.find((r) => r.round === status.rounds)?.metrics ?? null,
    data: readDataReport(status, sealingSecretKey, isSite),
    glm: readGlmReport(status, sealingSecretKey, isSite),
    stats: readStatsReport(status, sealingSecretKey, isSite),
  };
}

export function phaseOf(round: number, trainingRounds: number): RoundPhase {
  if (round === 0) return 'statistics';
  return round > trainingRounds ? 'evaluation' : 'training';
}

/** `round 2/5 (training)`, `round 0 (feature statistics)`, `round 6 (final evaluation)`. */
export function roundLabel(round: number, trainingRounds: number): string {
  const phase = phaseOf(round, trainingRounds);
  if (phase === 'training') return `round ${round}/${trainingRounds}`;
  return `round ${round} (${phase === 'statistics' ? 'feature statistics' : 'final evaluation'})`;
}

/** `accuracy 0.712 (mean of sites; pooled 0.705), AUC 0.781, loss 0.563`. */
export function formatMetrics(m: RoundMetricsView): string {
  return `accuracy ${m.accuracy.toFixed(3)} (mean of sites; pooled ${m.pooledAccuracy.toFixed(3)}), AUC ${m.auc.toFixed(3)}, loss ${m.loss.toFixed(3)}`;
}

export function formatDecision(d: { siteId: string; accept: boolean; reason: string }): string {
  return d.accept ? `${d.siteId} accepted` : `${d.siteId} declined (${d.reason || 'no reason given'})`;
}

/** One round as one line, e.g. `round 1/3 closed: 2 sites (a, b), 1.2 s, 14 KiB up, 28 KiB down; accuracy …`. */
export function formatRound(r: RoundView, trainingRounds: number): string {
  const sites = r.participants.length === 1 ? '1 site' : `${r.participants.length} sites`;
  const who = r.participants.length > 0 ? ` (${r.participants.join(', ')})` : '';
  const metrics = r.metrics ? `; ${formatMetrics(r.metrics)}` : '';
  return `${roundLabel(r.round, trainingRounds)} ${r.state}: ${sites}${who}, ${formatRoundCost(r)}${metrics}`;
}

/** `1.2 s, 14 KiB up, 28 KiB down`. */
export function formatRoundCost(r: RoundView): string {
  return `${r.seconds.toFixed(1)} s, ${kib(r.bytesUp)} up, ${kib(r.bytesDown)} down`;
}

export type SiteState = 'uploaded' | 'waiting' | 'not counted';

export interface SiteProgress {
  readonly siteId: string;
  readonly state: SiteState;
  /** Why a site was not counted, if the coordinator said. */
  readonly reason: string;
}

/**
 * Where each site the round concerns stands, in the coordinator's order. Sites outside
 * `expected` are kept too: a coordinator older than that field names only participants and
 * absences.
 */
export function siteProgress(r: RoundView): SiteProgress[] {
  const reasons = new Map(r.absent.map((a) => [a.siteId, a.reason]));
  const uploaded = new Set(r.participants);
  const sites = new Set([...r.expected, ...r.participants, ...reasons.keys()]);
  return [...sites].map((siteId): SiteProgress => {
    if (uploaded.has(siteId)) return { siteId, state: 'uploaded', reason: '' };
    const reason = reasons.get(siteId);
    if (reason !== undefined || r.state === 'closed')
      return { siteId, state: 'not counted', reason: reason ?? '' };
    return { siteId, state: 'waiting', reason: '' };
  });
}

export function formatAbsence(a: { siteId: string; reason: string }): string {
  return `not counted: ${a.siteId} (${a.reason || 'no reason given'})`;
}

/** "waiting for approval at hospital-b, hospital-c", or '' when no site waits for its operator. */
export function formatAwaitingApproval(sites: readonly string[]): string {
  return sites.length === 0 ? '' : `waiting for approval at ${sites.join(', ')}`;
}

/** The human-readable `hefl job status ID`. */
export function formatJobStatus(view: JobStatusView): string {
  const lines = [
    `job ${view.jobId}`,
    `hash: ${view.jobHash}`,
    `state: ${view.state}${view.reason ? ` (${view.reason})` : ''}`,
    `training rounds: ${view.trainingRounds}; current round: ${view.currentRound}`,
  ];
  lines.push(
    view.decisions.length > 0
      ? `decisions: ${view.decisions.map(formatDecision).join('; ')}`
      : 'decisions: none yet',
  );
  const approval = formatAwaitingApproval(view.awaitingApproval ?? []);
  if (approval) lines.push(approval);
  for (const r of view.rounds) {
    lines.push(formatRound(r, view.trainingRounds));
    const waiting = siteProgress(r).filter((s) => s.state === 'waiting');
    if (waiting.length > 0) lines.push(`  waiting for: ${waiting.map((s) => s.siteId).join(', ')}`);
    for (const a of r.absent) lines.push(`  ${formatAbsence(a)}`);
  }
  if (view.final) lines.push(`final model: ${formatMetrics(view.final)}`);
  if (view.data) lines.push(...formatDataReport(view.data));
  if (view.glm) lines.push(...formatGlmReport(view.glm));
  if (view.stats) lines.push(...formatStatsReport(view.stats));
  return `${lines.join('\n')}\n`;
}

/** Round 0 totals over all sites: per declared feature, values outside the schema and each code's count. */
export function formatDataReport(report: DataReport): string[] {
  const lines = [
    `data found by the sites (totals over all sites; codes below ${report.minCellSize} suppressed):`,
  ];
  for (const f of report.features) {
    const what = f.type === 'numeric' ? 'outside the declared range' : 'outside the declared codes';
    const codes = f.codes
      ? `; codes: ${f.codes.map((c) => `${c.code} ${c.count ?? `<${report.minCellSize}`}`).join(', ')}`
      : '';
    const warn =
      f.rows > 0 && f.outside * 2 > f.rows
        ? ' (warning: most values are outside; another unit or coding?)'
        : '';
    lines.push(`  ${f.name} (${f.type}): ${f.outside} of ${f.rows} ${what}${codes}${warn}`);
  }
  for (const v of report.vocabulary ?? []) lines.push(`  ${formatVocabulary(v, report)}`);
  return lines;
}

/**
 * One hashed categorical column: the codes found with their totals, how many sites hold a
 * code when not all do, what was suppressed or could not be named, and the warnings.
 */
export function formatVocabulary(v: VocabularyFound, report: DataReport): string {
  const sites = report.sites ?? 0;
  const code = (c: VocabularyFound['codes'][number]) =>
    `${c.code} ${c.count}${c.sites < sites ? ` (${c.sites} of ${sites} sites)` : ''}`;
  const parts = [
    `${v.rows} rows`,
    `codes: ${v.codes.length > 0 ? v.codes.map(code).join(', ') : 'none shown'}`,
  ];
  if (v.suppressed > 0)
    parts.push(`${v.suppressed} code${v.suppressed === 1 ? '' : 's'} below ${report.minCellSize} not shown`);
  const warnings: string[] = [];
  if (v.disjoint)
    warnings.push(`no code is found at every site: do the sites code '${v.name}' the same way?`);
  if (v.unresolved > 0)
    warnings.push(
      `${v.unresolved} hashed input${v.unresolved === 1 ? ' holds' : 's hold'} several codes or a code over 40 bytes (not named; the model cannot tell such codes apart)`,
    );
  const warn = warnings.length > 0 ? ` (warning: ${warnings.join('; ')})` : '';
  return `${v.name} (categorical, codes found): ${parts.join('; ')}${warn}`;
}

/** One line per job for `hefl job list`: id, state, round, hash prefix. */
export function formatJobListLine(status: JobStatus): string {
  const round =
    status.state === 'recruiting' || status.state === 'keying' ? '-' : String(status.currentRound);
  const reason = status.reason ? `  ${status.reason}` : '';
  return `${status.jobId}  ${status.state.padEnd(10)}  round ${round}/${status.rounds + 1}  hash ${status.jobHash.slice(0, 16)}${reason}`;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(0)} KiB`;
}
