import type {
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from '@grpc/grpc-js';
import { sha256, toHex } from '../common/crypto/index.js';
import { HeflError } from '../common/errors/index.js';
import type { CallWithAuthContext } from '../common/identity/index.js';
import { layoutFromProto } from '../common/protocol/section-framing.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { Clock } from '../common/time/clock.js';
import type { Ack, SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import {
  JobDecision,
  KeyBundle,
  ModelRelease,
  RoundReport,
  SiteHello,
  UpdateHeader,
} from '../proto/gen/hefl/v1/messages.js';
import type {
  AggregateChunk,
  AggregateRequest,
  ReceiptRequest,
  SiteServiceServer,
  Task,
  UploadChunk,
} from '../proto/gen/hefl/v1/services.js';
import type { BlobStore, BlobWriter } from './blob-store.js';
import { toServiceError } from './grpc-errors.js';
import type { JobRegistry } from './job-registry.js';
import type { MemberDirectory } from './member-directory.js';
import type { RequestGuard } from './request-guard.js';
import type { TaskHub } from './task-hub.js';

const DOWNLOAD_CHUNK = 1024 * 1024;
const HELLO_FRESHNESS_MS = 5 * 60 * 1000;

export interface SiteServiceDeps {
  readonly members: MemberDirectory;
  readonly guard: RequestGuard;
  readonly jobs: JobRegistry;
  readonly hub: TaskHub;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

/** gRPC adapter for what sites call. Protobuf types end here; the job controller sees domain calls. */
export function createSiteService(deps: SiteServiceDeps): SiteServiceServer {
  const { guard, jobs, hub, clock } = deps;
  const unary =
    <Req>(handler: (req: Req, call: ServerUnaryCall<Req, Ack>) => string) =>
    (call: ServerUnaryCall<Req, Ack>, callback: sendUnaryData<Ack>) => {
      try {
        callback(null, { message: handler(call.request, call) });
      } catch (error) {
        callback(toServiceError(error));
      }
    };

  return {
    subscribe(call: ServerWritableStream<SignedEnvelope, Task>) {
      try {
        const { message: hello, member } = guard.open(
          SigningContext.siteHello,
          SiteHello,
          call.request,
          'site',
          call,
        );
        if (hello.siteId !== member.id)
          throw new HeflError('permission_denied', 'hello names another site', {
            publicDetail: 'site id does not match the signing key',
          });
        if (Math.abs(clock.now() - hello.sentAtMs) > HELLO_FRESHNESS_MS)
          throw new HeflError('replay', 'stale hello', {
            publicDetail: 'hello timestamp outside the freshness window',
          });
        const detach = hub.attach(member.id, (task) => call.write(task));
        const manifest = deps.members.signedManifestJson?.();
        if (manifest)
          call.write({ kind: { $case: 'manifest', value: { signedManifestJson: Buffer.from(manifest) } } });
        deps.log('site.connected', { site: member.id });
        call.on('cancelled', detach);
        call.on('close', detach);
        call.on('error', detach);
        jobs.onSiteConnected(member.id, new Set(hello.activeJobs));
      } catch (error) {
        // emit, not destroy: grpc-js sends the status only this way, so the site sees why
        call.emit('error', toServiceError(error));
      }
    },

    decide: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = guard.open(SigningContext.jobDecision, JobDecision, envelope, 'site', call);
      if (message.siteId !== member.id)
        throw new HeflError('permission_denied', 'decision names another site', {
          publicDetail: 'site id does not match the signing key',
        });
      jobs.get(message.jobId).decide(member.id, message, envelope);
      return 'decision recorded';
    }),

    postKeyBundle: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = guard.open(SigningContext.keyBundle, KeyBundle, envelope, 'site', call);
      if (message.dealerSiteId !== member.id)
        throw new HeflError('permission_denied', 'bundle names another dealer', {
          publicDetail: 'dealer id does not match the signing key',
        });
      jobs.get(message.jobId).postKeyBundle(member.id, message, envelope);
      return 'key bundle relayed';
    }),

    upload(call: ServerReadableStream<UploadChunk, SignedEnvelope>, callback: sendUnaryData<SignedEnvelope>) {
      receiveUpload(deps, call).then(
        (receipt) => callback(null, receipt),
        (error) => callback(toServiceError(error)),
      );
    },

    downloadAggregate(call: ServerWritableStream<AggregateRequest, AggregateChunk>) {
      Promise.resolve()
        .then(() => guard.requirePeer(call, ['site'], 'download-aggregate'))
        .then(() => sendAggregate(deps, call.request, (chunk) => call.write(chunk)))
        .then(
          () => call.end(),
          (error) => call.emit('error', toServiceError(error)),
        );
    },

    fetchReceipt(
      call: ServerUnaryCall<ReceiptRequest, SignedEnvelope>,
      callback: sendUnaryData<SignedEnvelope>,
    ) {
      try {
        const peer = guard.requirePeer(call, ['site'], 'fetch-receipt');
        const { jobId, round, siteId } = call.request;
        if (peer && peer.id !== siteId) {
          throw new HeflError('permission_denied', `${peer.id} asked for ${siteId}'s receipt`, {
            publicDetail: 'a site can only fetch its own receipts',
          });
        }
        const receipt = jobs.get(jobId).rounds[round]?.uploads.get(siteId)?.receipt;
        if (!receipt)
          throw new HeflError('not_found', 'no accepted update', {
            publicDetail: `no accepted update from ${siteId} in round ${round}`,
          });
        callback(null, receipt);
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    postModelRelease: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = guard.open(
        SigningContext.modelRelease,
        ModelRelease,
        envelope,
        'site',
        call,
      );
      if (message.siteId !== member.id) {
        throw new HeflError('permission_denied', 'release names another site', {
          publicDetail: 'site id does not match the signing key',
        });
      }
      jobs.get(message.jobId).acceptRelease(member.id, message, envelope);
      return 'release recorded';
    }),

    report: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = guard.open(SigningContext.roundReport, RoundReport, envelope, 'site', call);
      if (message.siteId !== member.id)
        throw new HeflError('permission_denied', 'report names another site', {
          publicDetail: 'site id does not match the signing key',
        });
      jobs.get(message.jobId).report(member.id, message, envelope);
      return 'report recorded';
    }),
  };

  async function sendAggregate(
    d: SiteServiceDeps,
    request: AggregateRequest,
    write: (c: AggregateChunk) => void,
  ): Promise<void> {
    const job = d.jobs.get(request.jobId);
    const round = job.rounds[request.round];
    if (round?.state !== 'closed' || !round.summary || !round.aggregateDigest) {
      throw new HeflError('failed_precondition', `round ${request.round} has no aggregate yet`, {
        publicDetail: 'the round has not closed',
      });
    }
    round.downloads++;
    write({ kind: { $case: 'summary', value: round.summary } });
    for await (const chunk of job.aggregateChunks(round, DOWNLOAD_CHUNK)) {
      write({ kind: { $case: 'data', value: Buffer.from(chunk) } });
    }
  }
}

async function receiveUpload(
  deps: SiteServiceDeps,
  call: AsyncIterable<UploadChunk> & CallWithAuthContext,
): Promise<SignedEnvelope> {
  const { guard, jobs, blobs } = deps;
  let writer: BlobWriter | undefined;
  /** The blob of this upload once written; deleted again if the update is refused. */
  let stored: string | undefined;
  let opened:
    | { header: UpdateHeader; envelope: SignedEnvelope; siteId: string; declared: number }
    | undefined;
  try {
    for await (const chunk of call) {
      const kind = chunk.kind;
      if (!opened) {
        if (kind?.$case !== 'header')
          throw new HeflError('invalid_argument', 'upload must start with the signed header', {
            publicDetail: 'first chunk must be the signed header',
          });
        const { message: header, member } = guard.open(
          SigningContext.updateHeader,
          UpdateHeader,
          kind.value,
          'site',
          call,
        );
        if (header.siteId !== member.id)
          throw new HeflError('permission_denied', 'header names another site', {
            publicDetail: 'site id does not match the signing key',
          });
        const layout = header.sections.map(layoutFromProto);
        opened = { header, envelope: kind.value, siteId: member.id, declared: 0 };
        jobs.get(header.jobId).checkUploadHeader(member.id, header);
        const declared = layout.reduce((a, s) => a + s.byteLength, 0);
        opened = { header, envelope: kind.value, siteId: member.id, declared };
        writer = await blobs.createWriter();
        continue;
      }
      if (kind?.$case !== 'data')
        throw new HeflError('invalid_argument', 'only data chunks may follow the header', {
          publicDetail: 'unexpected second header',
        });
      if (writer!.bytesWritten + kind.value.length > opened.declared) {
        throw new HeflError('invalid_argument', 'upload exceeds its declared size', {
          publicDetail: 'more bytes than the header declares',
        });
      }
      await writer!.write(kind.value);
    }
    if (!opened || !writer)
      throw new HeflError('invalid_argument', 'empty upload', { publicDetail: 'no header' });
    if (writer.bytesWritten !== opened.declared) {
      throw new HeflError('invalid_argument', 'upload ended early', {
        publicDetail: `received ${writer.bytesWritten} of ${opened.declared} bytes`,
      });
    }
    const blob = await writer.finish(toHex(opened.header.payloadDigest));
    writer = undefined;
    stored = blob.digest;
    const layout = opened.header.sections.map(layoutFromProto);
    const receipt = await jobs
      .get(opened.header.jobId)
      .acceptUpload(opened.siteId, opened.header, opened.envelope.payload, layout, blob);
    deps.log('update.accepted', {
      site: opened.siteId,
      job: opened.header.jobId,
      round: opened.header.round,
      bytes: blob.size,
      digest: toHex(sha256(opened.envelope.payload)).slice(0, 16),
    });
    return receipt;
  } catch (error) {
    await writer?.abort();
    // A refused update's bytes are garbage — unless they are also an accepted update's
    // (the same bytes sent again), which must stay.
    if (stored && !jobs.refersToBlob(stored)) await blobs.delete(stored).catch(() => {});
    if (opened) {
      guard.refused(opened.envelope, SigningContext.updateHeader, error, 'update.refused');
      deps.log('update.refused', {
        site: opened.siteId,
        job: opened.header.jobId,
        round: opened.header.round,
        reason: error instanceof Error ? error.message : 'error',
      });
    }
    throw error;
  }
}
