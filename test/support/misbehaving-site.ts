import { randomBytes } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { CoordinatorClient } from '../../client-node/coordinator-client.js';
import type { SiteKeys } from '../../client-node/site-keys.js';
import type { RoundLengths } from '../../common/fl/round-lengths.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { JobDecision, SiteHello } from '../../proto/gen/hefl/v1/messages.js';
import type { Task } from '../../proto/gen/hefl/v1/services.js';

type RoundOpen = Extract<NonNullable<Task['kind']>, { $case: 'roundOpen' }>['value'];

/**
 * A member of the federation that behaves only as far as it must to be in a job: it says
 * hello, accepts every job offered, and then does what the test scripts at each round's
 * opening instead of what an honest site would (over the harness's plaintext transport).
 */
export class MisbehavingSite {
  readonly client: CoordinatorClient;
  private readonly unsubscribe: () => void;

  constructor(
    readonly keys: SiteKeys,
    address: string,
    onRoundOpen: (open: RoundOpen, site: MisbehavingSite) => void,
    /** The lengths it states in its acceptance (an honest site's, so it stays in the job). */
    stated?: RoundLengths,
  ) {
    this.client = new CoordinatorClient(address, credentials.createInsecure());
    const hello = signMessage(
      SigningContext.siteHello,
      SiteHello,
      {
        siteId: keys.siteId,
        nonce: randomBytes(16),
        sentAtMs: Date.now(),
        sealingPublicKey: Buffer.from(keys.sealingPublicKey),
      },
      keys.signingSecretKey,
    );
    this.unsubscribe = this.client.subscribe(
      hello,
      (task) => {
        const kind = task.kind;
        if (kind?.$case === 'jobOffer') {
          const decision = signMessage(
            SigningContext.jobDecision,
            JobDecision,
            {
              jobId: kind.value.jobId,
              jobHash: kind.value.jobHash,
              siteId: keys.siteId,
              accept: true,
              reason: '',
              nonce: randomBytes(16),
              ...stated,
            },
            keys.signingSecretKey,
          );
          this.client.decide(decision).catch(() => {});
        }
        if (kind?.$case === 'roundOpen') onRoundOpen(kind.value, this);
      },
      () => {},
    );
  }

  close(): void {
    this.unsubscribe();
    this.client.close();
  }
}
