import type { AggregateMetrics } from '../../common/protocol/sealed-metrics.js';
import type { JobStatus } from '../../proto/gen/hefl/v1/services.js';
import type { RoundOutcome } from '../researcher/job-outcome.js';
import type { RoundMetrics, SimulationResult } from './simulation-options.js';

/** The `hefl simulate` result (and `--json` document) from the finished job's status and rounds. */
export function summariseSimulation(
  status: JobStatus,
  outcome: RoundOutcome[],
  ctx: {
    jobId: string;
    jobHash: string;
    profile: string;
    he: boolean;
    sites: string[];
    isolation: SimulationResult['isolation'];
    memory: SimulationResult['memory'];
    outDir: string | null;
    modelDir: string | null;
    started: number;
    dp: SimulationResult['dp'];
  },
): SimulationResult {
  const trainingRound = status.roundStatus.find((r) => r.round === 1);
  const update = trainingRound?.sections.find((s) => s.name === 'update');
  const pick = (m: AggregateMetrics | undefined): RoundMetrics | null =>
    m ? { accuracy: m.meanSiteAccuracy, pooledAccuracy: m.accuracy, auc: m.auc, loss: m.loss } : null;
  return {
    jobId: ctx.jobId,
    jobHash: ctx.jobHash,
    state: status.state,
    reason: status.reason,
    sites: ctx.sites,
    rounds: outcome.map((r) => ({
      round: r.round,
      participants: r.participants,
      absent: r.absent,
      metrics: pick(r.metrics),
      bytesUp: r.bytesUp,
      bytesDown: r.bytesDown,
      seconds: r.seconds,
    })),
    final: pick(outcome.at(-1)?.metrics),
    he: {
      profile: ctx.profile,
      insecure: !ctx.he,
      bytesPerParam: update ? update.byteLength / update.valueCount : null,
      parameters: update ? update.valueCount - 1 : null,
    },
    modelHash: outcome.at(-1)?.modelHash ?? null,
    isolation: ctx.isolation,
    memory: ctx.memory,
    ...(ctx.dp ? { dp: ctx.dp } : {}),
    outDir: ctx.outDir,
    modelDir: ctx.modelDir,
    seconds: (Date.now() - ctx.started) / 1000,
  };
}
