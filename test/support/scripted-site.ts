import { randomBytes } from 'node:crypto';
import type { ChannelCredentials, ServiceError } from '@grpc/grpc-js';
import { CoordinatorClient } from '../../client-node/coordinator-client.js';
import { exactSection } from '../../client-node/round-sections.js';
import { SiteFederation } from '../../client-node/site-federation.js';
import type { SiteKeys } from '../../client-node/site-keys.js';
import { sha256 } from '../../common/crypto/index.js';
import { METRICS_SECTION_VALUES } from '../../common/fl/round-section-shapes.js';
import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import { channelCredentials, type MemberIdentity } from '../../common/identity/index.js';
import { frameSection, type Section } from '../../common/protocol/section-framing.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { JobDecision, RoundReport, SiteHello, UpdateHeader } from '../../proto/gen/hefl/v1/messages.js';
import type { Task } from '../../proto/gen/hefl/v1/services.js';
import { waitUntil } from './tls-federation.js';

export type TaskKind = NonNullable<Task['kind']>;
export type TaskOf<K extends TaskKind['$case']> = Extract<TaskKind, { $case: K }>['value'];

export function siteKeysOf(identity: MemberIdentity): SiteKeys {
  return {
    siteId: identity.id,
    signingPublicKey: identity.signingKey.publicKey,
    signingSecretKey: identity.signingKey.secretKey,
    sealingPublicKey: identity.sealingKey.publicKey,
    sealingSecretKey: identity.sealingKey.secretKey,
  };
}

/**
 * A site driven step by step by a test, over the production transport
 * (`CoordinatorClient`, mutual TLS with the site's own certificate). It keeps every task
 * the coordinator pushes, so a test can play each protocol step — or a forged one.
 */
export class ScriptedSite {
  readonly tasks: TaskKind[] = [];
  readonly client: CoordinatorClient;
  readonly keys: SiteKeys;
  readonly federation: SiteFederation;
  private unsubscribe: (() => void) | undefined;

  constructor(identity: MemberIdentity, address: string, credentials?: ChannelCredentials) {
    this.keys = siteKeysOf(identity);
    this.federation = new SiteFederation(identity.coordinatorSigningPublicKey, identity.manifest);
    this.client = new CoordinatorClient(address, credentials ?? channelCredentials(identity.tls));
  }

  /** Opens the task stream and waits for the manifest the coordinator sends first. */
  async connect(timeoutMs = 5_000): Promise<void> {
    this.unsubscribe = this.client.subscribe(
      this.hello(),
      (task) => {
        if (!task.kind) return;
        // As a site node does: newer signed manifests (admissions, revocations) replace ours.
        if (task.kind.$case === 'manifest') this.federation.update(task.kind.value.signedManifestJson);
        this.tasks.push(task.kind);
      },
      () => {},
    );
    await this.waitForTask('manifest', () => true, timeoutMs);
  }

  hello(signingSecretKey = this.keys.signingSecretKey, siteId = this.keys.siteId): SignedEnvelope {
    return signMessage(
      SigningContext.siteHello,
      SiteHello,
      {
        siteId,
        nonce: randomBytes(16),
        sentAtMs: Date.now(),
        sealingPublicKey: Buffer.from(this.keys.sealingPublicKey),
      },
      signingSecretKey,
    );
  }

  decision(jobId: string, jobHash: string, signingSecretKey = this.keys.signingSecretKey): SignedEnvelope {
    return signMessage(
      SigningContext.jobDecision,
      JobDecision,
      {
        jobId,
        jobHash,
        siteId: this.keys.siteId,
        accept: true,
        reason: '',
        nonce: randomBytes(16),
        // The lengths of what `encryptedUpdate` sends (one numeric feature, logistic regression).
        ...ENCRYPTED_UPDATE_LENGTHS,
      },
      signingSecretKey,
    );
  }

  report(jobId: string, round: number, modelHash: string): SignedEnvelope {
    return signMessage(
      SigningContext.roundReport,
      RoundReport,
      { jobId, round, siteId: this.keys.siteId, modelHash, nonce: randomBytes(16) },
      this.keys.signingSecretKey,
    );
  }

  async waitForTask<K extends TaskKind['$case']>(
    kind: K,
    predicate: (value: TaskOf<K>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<TaskOf<K>> {
    const found = await waitUntil(
      () => this.tasks.find((t) => t.$case === kind && predicate(t.value as TaskOf<K>)),
      timeoutMs,
      `a ${kind} task for ${this.keys.siteId}`,
    );
    return found.value as TaskOf<K>;
  }

  close(): void {
    this.unsubscribe?.();
    this.client.close();
  }
}

/** The round lengths of `encryptedUpdate`'s default shape: 3 statistics, 2 model parameters. */
export const ENCRYPTED_UPDATE_LENGTHS = Object.freeze({ statsLength: 3, parameterCount: 2 });

/** A signed update header plus its section bytes, encrypted under the job's real HE key. */
export interface EncryptedUpdate {
  readonly header: SignedEnvelope;
  readonly parts: Uint8Array[];
}

/**
 * Shaped as a site of a logistic-regression job with one numeric feature sends it (round 0:
 * feature statistics; later rounds: the update and evaluation sums), unless `sections` says
 * otherwise. The coordinator refuses layouts its job does not allow.
 */
export function encryptedUpdate(
  keys: SiteKeys,
  cipher: SiteVectorCipher,
  target: { jobId: string; round: number; signingSecretKey?: Uint8Array; sections?: Section[] },
): EncryptedUpdate {
  const sections =
    target.sections ??
    (target.round === 0
      ? [exactSection(cipher, 'stats', [1, 2, 3])]
      : [
          { name: 'update', batch: cipher.encrypt([0.01, -0.01, 1]).batch },
          exactSection(cipher, 'metrics', new Float64Array(METRICS_SECTION_VALUES)),
        ]);
  const framed = sections.map(frameSection);
  const header = signMessage(
    SigningContext.updateHeader,
    UpdateHeader,
    {
      jobId: target.jobId,
      round: target.round,
      siteId: keys.siteId,
      nonce: randomBytes(16),
      sections: framed.map((f) => f.layout),
      payloadDigest: Buffer.from(sha256(...framed.flatMap((f) => f.bytes))),
      sentAtMs: Date.now(),
    },
    target.signingSecretKey ?? keys.signingSecretKey,
  );
  return { header, parts: framed.flatMap((f) => f.bytes) };
}

/** Opens a task stream with `hello`; resolves with its first task, or with the error that ended it. */
export function subscribeOutcome(
  client: CoordinatorClient,
  hello: SignedEnvelope,
  timeoutMs = 5_000,
): Promise<{ task?: TaskKind; error?: ServiceError }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel();
      reject(new Error(`subscribe neither streamed nor failed within ${timeoutMs} ms`));
    }, timeoutMs);
    const cancel = client.subscribe(
      hello,
      (task) => {
        clearTimeout(timer);
        cancel();
        resolve(task.kind ? { task: task.kind } : {});
      },
      (error) => {
        clearTimeout(timer);
        resolve(error ? { error: error as ServiceError } : {});
      },
    );
  });
}

/** Expects `promise` to be refused; returns the gRPC error (fails if it succeeds or hangs). */
export async function refusal(promise: Promise<unknown>, timeoutMs = 5_000): Promise<ServiceError> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([promise, timeout]);
  } catch (error) {
    if (error instanceof Error && 'code' in error) return error as ServiceError;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('expected the coordinator to refuse the request, but it was accepted');
}

/** A copy of `bytes` with one bit flipped. */
export function flipBit(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}
