import { credentials, status } from '@grpc/grpc-js';
import { CoordinatorClient } from '../../client-node/coordinator-client.js';
import { exactSection } from '../../client-node/round-sections.js';
import type { SiteKeys } from '../../client-node/site-keys.js';
import type { RoundLengths } from '../../common/fl/round-lengths.js';
import { METRICS_SECTION_VALUES } from '../../common/fl/round-section-shapes.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import { openMessage, signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { JobDecision } from '../../proto/gen/hefl/v1/messages.js';
import type { Task } from '../../proto/gen/hefl/v1/services.js';
import { encryptedUpdate } from './scripted-site.js';

/** What the poisoning site does on top of being an honest site of the job. */
export interface PoisonPlan {
  /** The honest lengths of the job at this site's data (what its node states and uploads). */
  readonly honest: RoundLengths;
  /** Rounds in which it races a wrong-but-in-bounds upload the moment the round opens. */
  readonly rounds: readonly number[];
  /** Values of the round-0 data report (declared-feature jobs), sent at its right size. */
  readonly dataReportValues?: number;
  /** Re-signs its acceptance stating a statistics length this much longer (0: states the truth). */
  readonly lieInDecisionBy?: number;
}

/**
 * The client of an otherwise honest site node that, the moment a planned round opens and
 * before its node sees the round (held back until the coordinator answered), uploads a well-formed, signed update whose sizes are wrong
 * but inside what a bounds check would allow (3 more statistics = one more numeric column;
 * one more model input), encrypted under a key of its own. Then its node uploads the honest
 * update. `outcomes` holds, per round, `accepted` or the refusal as `CODE: details`.
 */
export class LayoutPoisoner extends CoordinatorClient {
  readonly outcomes = new Map<number, Promise<string>>();

  constructor(
    address: string,
    private readonly keys: SiteKeys,
    private readonly foreign: SiteVectorCipher,
    private readonly plan: PoisonPlan,
  ) {
    super(address, credentials.createInsecure());
  }

  override decide(envelope: SignedEnvelope): Promise<void> {
    const by = this.plan.lieInDecisionBy ?? 0;
    if (by === 0) return super.decide(envelope);
    const { message } = openMessage(SigningContext.jobDecision, JobDecision, envelope, () => true);
    if (!message.accept) return super.decide(envelope);
    const lie = signMessage(
      SigningContext.jobDecision,
      JobDecision,
      { ...message, statsLength: (message.statsLength ?? 0) + by },
      this.keys.signingSecretKey,
    );
    return super.decide(lie);
  }

  override subscribe(
    hello: SignedEnvelope,
    onTask: (task: Task) => void,
    onEnd: (error?: Error) => void,
  ): () => void {
    return super.subscribe(
      hello,
      (task) => {
        const kind = task.kind;
        if (kind?.$case === 'roundOpen') {
          const { jobId, round } = kind.value;
          if (this.plan.rounds.includes(round) && !this.outcomes.has(round)) {
            // Its node sees the round only once the poisoned upload is answered: it is first.
            void this.poison(jobId, round).then(() => onTask(task));
            return;
          }
        }
        onTask(task);
      },
      onEnd,
    );
  }

  private poison(jobId: string, round: number): Promise<string> {
    const { honest, dataReportValues } = this.plan;
    const zeros = (n: number) => new Float64Array(n);
    const sections =
      round === 0
        ? [
            exactSection(this.foreign, 'stats', zeros(honest.statsLength + 3)),
            ...(dataReportValues ? [exactSection(this.foreign, 'datareport', zeros(dataReportValues))] : []),
          ]
        : [
            { name: 'update', batch: this.foreign.encrypt(zeros(honest.parameterCount + 2)).batch },
            exactSection(this.foreign, 'metrics', zeros(METRICS_SECTION_VALUES)),
          ];
    const update = encryptedUpdate(this.keys, this.foreign, { jobId, round, sections });
    const outcome = this.upload(update.header, update.parts).then(
      () => 'accepted',
      (e: { code?: number; details?: string; message?: string }) =>
        e.code !== undefined ? `${status[e.code]}: ${e.details}` : String(e.message),
    );
    this.outcomes.set(round, outcome);
    return outcome;
  }
}
